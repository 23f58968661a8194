import type { CountryCode } from 'libphonenumber-js';
import { normalizePhone } from '../../core/phone/normalize.ts';
import { isExcludedNumber } from '../crm/crm-policy.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import { explainCall, type Explanation } from '../../core/scenarios/explain.ts';
import { formatPosition, parsePosition } from '../../core/scenarios/position.ts';
import type { ResponsibleFacts } from '../../core/scenarios/responsible-step.ts';
import { leftMessage, type LeftMessage, type MessageReport } from './inbound-messages.ts';
import { decideStep, type InboundAction, type MachineContext, type StepDecision, type StepRequest } from '../../core/scenarios/step-machine.ts';

/** One request of the inbound dialplan: which number was called, where the call stood, how its last action ended. */
export interface InboundStepQuery {
  /** The DID as the dialplan has it (`${EXTEN}`: `74951234500`, `+7…`, `8495…`). */
  readonly did: string;
  /** INBOUND_STATE as returned by the previous request; empty on the first. */
  readonly state: string;
  /** DIALSTATUS / QUEUESTATUS / digits read / empty. */
  readonly result: string;
  /** The caller's number (agi_callerid). */
  readonly caller: string | null;
  readonly uniqueid: string;
  readonly linkedid: string | null;
}

export interface InboundStepAnswer {
  readonly action: InboundAction;
  /** What the dialplan keeps in INBOUND_STATE for the next request; empty once the call is done. */
  readonly state: string;
  /** The decision in full, for whoever follows the call (the CRM card). */
  readonly decision: StepDecision | null;
  /** Record the call from its first ringing action (never for excluded numbers, DECISIONS §18). */
  readonly record: boolean;
}

/** What the dialplan reports besides steps: a phone answered (its channel), the caller hung up (the recording). */
export interface InboundCallEvents {
  answered(linkedid: string, channel: string): void;
  ended(linkedid: string, recording: string | null, call?: EndedCall): void;
  /** A voicemail or fax the call left (before `ended`). */
  message?(linkedid: string, report: MessageReport, message: LeftMessage): void;
}

/** What the dialplan's `h` report says of the call itself: enough to own it after a connector restart. */
export interface EndedCall {
  readonly did: string;
  readonly caller: string | null;
  /** INBOUND_OWNER: the user the connector last named as the call's owner. */
  readonly owner: string | null;
}

/** Told of every step decided (the CRM side shows and hides cards from it); must not throw or block. */
export type InboundStepObserver = (query: InboundStepQuery, answer: InboundStepAnswer) => void;

export interface InboundServiceDeps {
  readonly rules: { current(): CompiledRules };
  /** ms since the epoch. */
  readonly now: () => number;
  /** [0, 1): weighted-random group orders. */
  readonly random: () => number;
  readonly observe?: InboundStepObserver;
  readonly events?: InboundCallEvents;
  /** The CRM lookup of a caller's responsible manager (none: nobody is ever found). */
  readonly responsible?: { find(caller: string, timeoutMs: number): Promise<ResponsibleFacts | null> };
}

/**
 * Inbound calls, one stateless step at a time: the dialplan asks with where the call stands and
 * gets the next action; the position travels with the channel, so any instance can answer any
 * step and a restart loses nothing.
 */
export class InboundService {
  constructor(private readonly deps: InboundServiceDeps) {}

  /** One step without waiting for the CRM: a responsible step finds nobody (tests, tools). */
  step(query: InboundStepQuery): InboundStepAnswer {
    const r = this.prepare(query);
    if ('answer' in r) return r.answer;
    const decision = decideStep(r.ctx, r.req);
    return this.answer(r.rules, query, decision.action.kind === 'lookup' ? decideStep({ ...r.ctx, responsible: null }, r.req) : decision);
  }

  /** One step as the dialplan asks it: a responsible step waits for the CRM lookup (with its deadline). */
  async stepWithCrm(query: InboundStepQuery): Promise<InboundStepAnswer> {
    const r = this.prepare(query);
    if ('answer' in r) return r.answer;
    const decision = decideStep(r.ctx, r.req);
    if (decision.action.kind !== 'lookup') return this.answer(r.rules, query, decision);
    const timeout = decision.action.timeout;
    const responsible = query.caller === null || !this.deps.responsible ? null : await this.deps.responsible.find(query.caller, timeout).catch(() => null);
    // The same request again, now with the answer (the machine is pure: it decides the same way up to the lookup).
    return this.answer(r.rules, query, decideStep({ ...r.ctx, responsible }, r.req));
  }

  private prepare(query: InboundStepQuery): { readonly answer: InboundStepAnswer } | { readonly rules: CompiledRules; readonly ctx: MachineContext; readonly req: StepRequest } {
    const rules = this.deps.rules.current();
    const did = didDigits(query.did, rules.defaultCountry);
    const position = parsePosition(query.state);
    if (did === null) return { answer: this.answer(rules, query, { action: { kind: 'failopen', reason: 'the called number is not a phone number' }, position: null, scenario: null }) };
    if (position === 'invalid') return { answer: this.answer(rules, query, { action: { kind: 'failopen', reason: 'the step state sent by the dialplan is not one the connector wrote' }, position: null, scenario: null }) };
    return { rules, ctx: this.context(rules), req: { did, position, result: query.result } };
  }

  private answer(rules: CompiledRules, query: InboundStepQuery, decision: StepDecision): InboundStepAnswer {
    const record = query.caller === null || !isExcludedNumber(rules, query.caller);
    const answer: InboundStepAnswer = { action: decision.action, state: decision.position === null ? '' : formatPosition(decision.position), decision, record };
    this.deps.observe?.(query, answer);
    return answer;
  }

  /** A phone answered the call (`channel` is the answering one). */
  answered(linkedid: string, channel: string): void {
    this.deps.events?.answered(linkedid, channel);
  }

  /** The caller's channel is gone; `recording` is its MixMonitor file, if one was started. */
  ended(linkedid: string, recording: string | null, call?: EndedCall): void {
    this.deps.events?.ended(linkedid, recording, call);
  }

  /** The caller's `h` reports a voicemail or fax the call left (just before `ended`). */
  message(report: MessageReport): void {
    const left = leftMessage(report, this.deps.rules.current().inbound);
    if (left !== null) this.deps.events?.message?.(report.linkedid, report, left);
  }

  /** The path a call to `did` would take at `at` (ms), with the caller pressing `keys` in turn. */
  explain(input: {
    readonly did: string;
    readonly at: number;
    readonly keys: readonly string[];
    /** Who the CRM lookup finds (default: nobody). */
    readonly responsible?: ResponsibleFacts | null;
    /** Devices to show as offline when probed. */
    readonly offline?: readonly string[];
  }): Explanation | { readonly error: string } {
    const rules = this.deps.rules.current();
    const did = didDigits(input.did, rules.defaultCountry);
    if (did === null) return { error: `"${input.did}" is not a phone number` };
    return explainCall({ ...this.context(rules), now: input.at, responsible: input.responsible ?? null }, { did, keys: input.keys, offline: input.offline ?? [] });
  }

  private context(rules: CompiledRules): MachineContext {
    return {
      inbound: rules.inbound,
      extensionOf: (user) => rules.userById.get(user)?.user.extension ?? null,
      userOf: (extension) => rules.userByExtension.get(extension)?.user.id ?? null,
      now: this.deps.now(),
      timezone: rules.timezone,
      random: this.deps.random,
    };
  }
}

/** E.164 digits of the DID, in the rules' default country for national forms. */
function didDigits(did: string, defaultCountry: string): string | null {
  const n = normalizePhone(did, { defaultCountry: defaultCountry as CountryCode });
  return n.ok ? n.number.digits : null;
}
