import { keepTrying } from '../keep-trying.ts';
import type { Logger } from '../../adapters/logging/logger.ts';
import { numberAsReceived } from '../../core/phone/as-received.ts';
import { quoteBounded } from '../../core/text/printable.ts';
import type { RefusalCode } from '../../core/routing/types.ts';
import { routeCall, type RoutingDeps } from '../routing/route-call.ts';
import { CLICK_TO_CALL_PREFIX } from './route-service.ts';
import type { StoredCall } from './call-record.ts';
import type { ChannelCounter } from './channel-counter.ts';
import { planOf } from './plan.ts';
import type { CallStore, CallUpdate, Clock, DialJournal, NewCall, Originator } from './ports.ts';
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
  /**
   * The caller vouches that this CRM call is new (a fresh event it has not seen before): with a
   * dial journal, the Originate then goes out before the call's row is written, not after.
   */
  readonly knownNew?: boolean;
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
  /** Where intents go before a dial that does not wait for the database (`knownNew` requests). */
  readonly journal?: DialJournal | null;
  /**
   * Aborted at shutdown. Until then, a journaled call whose row could not be written is written
   * again and again; without it, the row waits for the next start (which stores the journal).
   */
  readonly stopping?: AbortSignal;
}

const CHANNEL_VALUE = /^[^\s,"\r\n]{1,255}$/;

function invalid(message: string): ClickToCallResult {
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
 * A click-to-call from the CRM: validate, compute and store the plan once (a refusal goes back to
 * the caller, who finishes the CRM call with 403/404), then Originate (Async) the manager's phone
 * into the outbound context with a pre-assigned ChannelId so the route request and the AMI events
 * find this call (DECISIONS §15, §24). Idempotent by crmCallId: a repeated request never
 * originates twice.
 */
export async function originateClickToCall(deps: ClickToCallDeps, input: ClickToCallInput): Promise<ClickToCallResult> {
  const problem = validate(input);
  if (problem !== null) return invalid(`click-to-call ${input.crmCallId.slice(0, 80)}: ${problem}`);
  const { store, logger } = deps;
  // No read first: the plan is computed in memory, and the insert's unique CRM call id tells a
  // repeat (which then gets the stored call's answer) — one statement before the Originate, or
  // none when the caller vouches the call is new and its intent is journaled.
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
  const newCall: NewCall = {
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
  // Dialled already, its row not written yet (the database is slow or failing): a repeat.
  const journaledCall = deps.journal?.journaledCall(input.crmCallId);
  if (journaledCall) return replay(storedCallOf(journaledCall));
  const log = logger.child({ callId: id, crmCallId: input.crmCallId, user: input.userId });
  const early = !refused && input.knownNew === true && deps.journal?.accepting() ? journaled(deps.journal, newCall, log) : false;
  // The row is written alongside the dial when the intent is journaled, before it otherwise.
  const storing = store.createCall(newCall);
  // Awaited later on the early path: a failure must not surface as an unhandled rejection first.
  void storing.catch(() => undefined);
  let call: StoredCall = storedCallOf(newCall);
  if (!early) {
    const stored = await storing;
    if (!stored.created) return replay(stored.call);
    call = stored.call;
  }
  if (refused) {
    log.info({ code: refused.code, reason: refused.message }, 'click-to-call refused');
    return { ok: false, callId: id, code: refused.code, message: refused.message, duplicate: false };
  }

  deps.onPlanned?.(call);
  let actionId: string;
  try {
    ({ actionId } = await deps.originator.originate({
      channel: deps.channelTemplate.replaceAll('{extension}', input.extension),
      context: deps.context,
      exten: decision.number?.digits ?? input.number,
      priority: '1',
      timeoutMs: deps.timeoutMs,
      callerId: `"${decision.number?.e164 ?? input.number}" <${input.extension}>`,
      channelId,
      otherChannelId: `${id}-b`,
      variables: { CONNECTOR_CALL_ID: input.crmCallId, CONNECTOR_USER: input.userId },
    }));
  } catch (err) {
    // Never reached the PBX: the call ends now. Like a refusal, the result goes back to the caller,
    // which finishes the CRM call (503: the direction is unavailable); no hand-off, so never twice.
    const reason = `originate failed: ${(err as Error).message}`;
    const failed: CallUpdate = { state: 'ended', statusCode: '503', failedReason: reason, endedAt: deps.clock.now(), crmHandoff: 'none' };
    if (early) await settleEarly(deps, storing, newCall, log, failed);
    await store.updateCall(id, failed);
    log.warn({ reason }, 'click-to-call could not be originated');
    return { ok: false, callId: id, code: 'ORIGINATE_FAILED', message: reason, duplicate: false };
  }
  if (early) await settleEarly(deps, storing, newCall, log);
  try {
    await (deps.recordOriginate ?? ((callId, a) => store.updateCall(callId, { originateActionId: a })))(id, actionId);
  } catch (err) {
    // The call is placed all the same; only a failed Originate's response goes unmatched.
    log.warn({ actionId, err: { message: (err as Error).message } }, 'the Originate ActionID could not be stored');
  }
  log.info({ actionId, trunk: decision.attempts[0]?.trunk }, 'click-to-call originated');
  return { ok: true, callId: id, channelId, duplicate: false };
}

/** Journals the intent; if the disk refuses, the dial waits for the database instead. */
function journaled(journal: DialJournal, call: NewCall, log: Logger): boolean {
  try {
    journal.record(call);
    return true;
  } catch (err) {
    log.error({ err: { message: (err as Error).message } }, 'dial journal not writable: this click waits for the database');
    return false;
  }
}

/**
 * After an early dial: once the row is written, the intent is settled. A row that could not be
 * written is tried again in the background (the journal keeps the intent meanwhile), with the
 * call's outcome when it is already known (`then`), so it is there for the call's route steps
 * and end once the database is back.
 */
async function settleEarly(deps: ClickToCallDeps, storing: Promise<{ readonly created: boolean }>, call: NewCall, log: Logger, then?: CallUpdate): Promise<void> {
  try {
    const { created } = await storing;
    // The caller vouched the CRM call was new: a row already there is a repeat of its CRM call,
    // or its end closed from the journal while this insert waited.
    if (!created) log.warn('click-to-call dialled before storing found its row written already');
  } catch (err) {
    log.error({ err: { message: (err as Error).message } }, 'click-to-call dialled but its row could not be written; kept in the dial journal, retrying');
    if (deps.stopping) void storeLater(deps, deps.stopping, call, then, log);
    return;
  }
  settle(deps.journal as DialJournal, call.id, log);
}

async function storeLater(deps: ClickToCallDeps, stopping: AbortSignal, call: NewCall, then: CallUpdate | undefined, log: Logger): Promise<void> {
  const stored = await keepTrying(async () => {
    // Found already: an earlier try was written after all, or the call's end was (by the tracker).
    const { call: row } = await deps.store.createCall(call);
    if (then && row.state !== 'ended') await deps.store.updateCall(call.id, then);
    return true;
  }, {
    signal: stopping,
    onFailure: (err, tries) => log.warn({ tries, err: { message: (err as Error).message } }, 'click-to-call row still not written'),
  });
  // Stopped first: the next start stores it from the journal.
  if (stored === null) return;
  log.info('click-to-call row written after the database came back');
  settle(deps.journal as DialJournal, call.id, log);
}

function settle(journal: DialJournal, callId: string, log: Logger): void {
  try {
    journal.settle(callId);
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'dial journal: settling an intent failed (the next start reads it again, harmlessly)');
  }
}
