import type { Logger } from '../../adapters/logging/logger.ts';
import { numberAsReceived } from '../../core/phone/as-received.ts';
import { quoteBounded } from '../../core/text/printable.ts';
import type { RefusalCode } from '../../core/routing/types.ts';
import { routeCall, type RoutingDeps } from '../routing/route-call.ts';
import { CLICK_TO_CALL_PREFIX } from './route-service.ts';
import type { StoredCall } from './call-record.ts';
import type { ChannelCounter } from './channel-counter.ts';
import { planOf } from './plan.ts';
import type { CallStore, CallUpdate, Clock, NewCall, OriginateRequest, Originator } from './ports.ts';
import { storedCallOf } from './call-record.ts';

export interface ClickToCallInput {
  /** Bitrix24 CALL_ID (from telephony.externalcall.register / ONEXTERNALCALLSTART). */
  readonly crmCallId: string;
  readonly userId: string;
  readonly extension: string;
  readonly number: string;
  readonly numberIsInternational: boolean;
  readonly origin: 'crm' | 'mobile';
  /** LINE_NUMBER: a manual line, or null/'' for automatic. */
  readonly line: string | null;
}

export type ClickToCallRefusalCode = RefusalCode | 'INVALID_REQUEST' | 'ORIGINATE_FAILED';

export type ClickToCallResult =
  | { readonly ok: true; readonly callId: string; readonly channelId: string; readonly duplicate: boolean }
  | {
    readonly ok: false;
    readonly callId: string | null;
    readonly code: ClickToCallRefusalCode;
    readonly message: string;
    readonly duplicate: boolean;
  };

export interface ClickToCallDeps {
  readonly store: CallStore;
  readonly routing: RoutingDeps;
  readonly originator: Originator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Random id part (hex); injectable for tests. */
  readonly newId: () => string;
  /** ORIGINATE_CHANNEL, e.g. `PJSIP/{extension}` or `Local/{extension}@from-internal`. */
  readonly channelTemplate: string;
  /** ORIGINATE_CONTEXT (`connector-outbound`). */
  readonly context: string;
  /** ORIGINATE_TIMEOUT_MS: how long the manager's phone rings. */
  readonly timeoutMs: number;
  readonly channels?: ChannelCounter;
  /** Told about each planned call (RouteService.remember): its route requests then read no database. */
  readonly onPlanned?: (call: StoredCall) => void;
  /**
   * Stores the Originate's ActionID (default: an update of its own). The PBX side passes the route
   * writer's, so it shares a transaction — and often the statement — with the call's first route step.
   */
  readonly recordOriginate?: (callId: string, actionId: string) => Promise<void>;
}

/**
 * A click planned in memory: the call row to store (a refused one too) and, unless refused, the
 * Originate to send once the row is stored.
 */
export interface PlannedClick {
  readonly call: NewCall;
  readonly originate: OriginateRequest | null;
  /** The plan's first trunk (for the log line). */
  readonly firstTrunk: string | null;
}

const CHANNEL_VALUE = /^[^\s,"\r\n]{1,255}$/;

type Refused = Extract<ClickToCallResult, { readonly ok: false }>;

/** A planned click, or why the request was not valid (nothing to store). */
export type ClickPlanning = { readonly ok: true; readonly planned: PlannedClick } | Refused;

function invalid(message: string): Refused {
  return { ok: false, callId: null, code: 'INVALID_REQUEST', message, duplicate: false };
}

function validate(input: ClickToCallInput): string | null {
  if (!CHANNEL_VALUE.test(input.crmCallId)) return 'crmCallId must be 1–255 characters without spaces, commas or quotes';
  if (!/^[0-9A-Za-z*#+_.-]{1,32}$/.test(input.extension)) return `extension "${input.extension.slice(0, 40)}" is not a dialable extension`;
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(input.userId)) return `userId "${input.userId.slice(0, 40)}" is not a Bitrix24 user id`;
  if (input.number.trim() === '') return 'number is empty';
  if (input.line !== null && input.line.length > 64) return `line ${quoteBounded(input.line)} is longer than 64 characters`;
  if (input.origin !== 'crm' && input.origin !== 'mobile') return `origin must be crm or mobile (got "${String(input.origin)}")`;
  return null;
}

function replay(call: StoredCall): ClickToCallResult {
  if (call.refusalCode !== null) {
    return { ok: false, callId: call.id, code: call.refusalCode, message: call.refusalMessage ?? call.refusalCode, duplicate: true };
  }
  if (call.state === 'ended' && call.originateActionId === null) {
    return { ok: false, callId: call.id, code: 'ORIGINATE_FAILED', message: call.failedReason ?? 'originate failed', duplicate: true };
  }
  return { ok: true, callId: call.id, channelId: call.channelId ?? '', duplicate: true };
}

/**
 * Plans a click-to-call without storing it: validates the request and computes the plan once (a
 * refusal is planned too, as a stopped call). The caller stores `call` — alone
 * (`originateClickToCall`) or in one transaction with the event that asked for it — and only
 * then calls `dialPlanned`.
 */
export function planClickToCall(deps: ClickToCallDeps, input: ClickToCallInput): ClickPlanning {
  const problem = validate(input);
  if (problem !== null) return invalid(`click-to-call ${input.crmCallId.slice(0, 80)}: ${problem}`);
  const rules = deps.routing.rules.current();
  const decision = routeCall(deps.routing, {
    user: input.userId,
    extension: input.extension,
    number: input.number,
    numberIsInternational: input.numberIsInternational,
    origin: input.origin,
    line: input.line,
    busyChannels: deps.channels?.busy() ?? {},
  });
  const id = `${CLICK_TO_CALL_PREFIX}${deps.newId()}`;
  const channelId = `${id}-a`;
  const refused = decision.refused;
  const call: NewCall = {
    id,
    crmCallId: input.crmCallId,
    channelId,
    // The Originate's first channel is the oldest of the call: its Uniqueid is the Linkedid.
    linkedid: channelId,
    origin: input.origin,
    userId: input.userId,
    extension: input.extension,
    number: numberAsReceived(input.number),
    numberE164: decision.number?.e164 ?? null,
    line: input.line === '' ? null : input.line,
    state: refused ? 'stopped' : 'planned',
    plan: refused ? null : planOf(decision, rules),
    refusalCode: refused?.code ?? null,
    refusalMessage: refused?.message ?? null,
    startedAt: deps.clock.now(),
  };
  const originate: OriginateRequest | null = refused ? null : {
    channel: deps.channelTemplate.replaceAll('{extension}', input.extension),
    context: deps.context,
    exten: decision.number?.digits ?? input.number,
    priority: '1',
    timeoutMs: deps.timeoutMs,
    callerId: `"${decision.number?.e164 ?? input.number}" <${input.extension}>`,
    channelId,
    otherChannelId: `${id}-b`,
    variables: { CONNECTOR_CALL_ID: input.crmCallId, CONNECTOR_USER: input.userId },
  };
  return { ok: true, planned: { call, originate, firstTrunk: decision.attempts[0]?.trunk ?? null } };
}

/**
 * A click-to-call from the CRM: validate, compute and store the plan once (a refusal goes back to
 * the caller, who finishes the CRM call with 403/404), then Originate (Async) the manager's phone
 * into the outbound context with a pre-assigned ChannelId so the route request and the AMI events
 * find this call (DECISIONS §15, §24). Idempotent by crmCallId: a repeated request never
 * originates twice.
 */
export async function originateClickToCall(deps: ClickToCallDeps, input: ClickToCallInput): Promise<ClickToCallResult> {
  const planning = planClickToCall(deps, input);
  if (!planning.ok) return planning;
  // No read first: the insert's unique CRM call id tells a repeat (which then gets the stored
  // call's answer) — one statement before the Originate.
  const stored = await deps.store.createCall(planning.planned.call);
  if (!stored.created) return replay(stored.call);
  return dialPlanned(deps, planning.planned);
}

/**
 * Dials a planned click whose call row is stored (by this process, just now): a refusal goes back
 * to the caller; an Originate that never reached the PBX ends the call (503) and goes back too.
 */
export async function dialPlanned(deps: ClickToCallDeps, planned: PlannedClick): Promise<ClickToCallResult> {
  const { call } = planned;
  const log = deps.logger.child({ callId: call.id, crmCallId: call.crmCallId, user: call.userId });
  if (planned.originate === null) {
    const code = call.refusalCode ?? 'INVALID_REQUEST';
    const message = call.refusalMessage ?? code;
    log.info({ code, reason: message }, 'click-to-call refused');
    return { ok: false, callId: call.id, code, message, duplicate: false };
  }
  deps.onPlanned?.(storedCallOf(call));
  let actionId: string;
  try {
    ({ actionId } = await deps.originator.originate(planned.originate));
  } catch (err) {
    // Never reached the PBX: the call ends now. Like a refusal, the result goes back to the caller,
    // which finishes the CRM call (503: the direction is unavailable); no hand-off, so never twice.
    const reason = `originate failed: ${(err as Error).message}`;
    const failed: CallUpdate = { state: 'ended', statusCode: '503', failedReason: reason, endedAt: deps.clock.now(), crmHandoff: 'none' };
    await deps.store.updateCall(call.id, failed);
    log.warn({ reason }, 'click-to-call could not be originated');
    return { ok: false, callId: call.id, code: 'ORIGINATE_FAILED', message: reason, duplicate: false };
  }
  try {
    await (deps.recordOriginate ?? ((callId, a) => deps.store.updateCall(callId, { originateActionId: a })))(call.id, actionId);
  } catch (err) {
    // The call is placed all the same; only a failed Originate's response goes unmatched.
    log.warn({ actionId, err }, 'the Originate ActionID could not be stored');
  }
  log.info({ actionId, trunk: planned.firstTrunk }, 'click-to-call originated');
  return { ok: true, callId: call.id, channelId: call.channelId ?? '', duplicate: false };
}
