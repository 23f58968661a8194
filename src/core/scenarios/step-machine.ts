import { inRange, isHoliday, localTime } from './calendar.ts';
import type { CompiledInbound } from './compile.ts';
import { dialAction, nextInGroup, phoneDial, startGroup } from './group-ring.ts';
import type { MessageAction } from './message-model.ts';
import { messageAction, messageReason } from './message-steps.ts';
import type { Scenario, Step } from './model.ts';
import type { Position } from './position.ts';
import { anyManagerMove, responsibleMove, type Outcome, type ResponsibleFacts } from './responsible-step.ts';

/** Who a ringing action rings: the CRM shows these users the card (users null = an extension only). */
export interface Ringing {
  readonly user: string | null;
  readonly extension: string;
}

/** What the dialplan does next (one per request; the dialplan reports how it ended). */
export type InboundAction =
  | { readonly kind: 'play'; readonly file: string; readonly seconds: number | null }
  /** Read digits (an extension, an IVR key); the digits (empty on timeout) come back as the result. */
  | { readonly kind: 'read'; readonly prompt: string | null; readonly timeout: number; readonly maxDigits: number }
  | { readonly kind: 'dial'; readonly dial: string; readonly ringTime: number; readonly ringing: readonly Ringing[] }
  /** An Asterisk queue rings the group (memory across calls); the QUEUESTATUS comes back. */
  | { readonly kind: 'queue'; readonly queue: string; readonly ringTime: number; readonly ringing: readonly Ringing[] }
  /** Out through the connector's routing with this department's trunk policy (origin `inbound`). */
  | { readonly kind: 'forward'; readonly number: string; readonly department: string | null; readonly ringTime: number; readonly ringing?: readonly Ringing[] }
  /** Read the PBX device state of each device (`DEVICE_STATE()`); they come back `/`-separated. */
  | { readonly kind: 'probe'; readonly devices: readonly string[] }
  /** Not for the dialplan: the connector looks the caller's responsible manager up, then decides again. */
  | { readonly kind: 'lookup'; readonly timeout: number }
  | { readonly kind: 'hangup'; readonly reason: string }
  /** The scenario cannot go on (unknown DID, a loop without a waiting step): the dialplan's default. */
  | { readonly kind: 'failopen'; readonly reason: string }
  /** Voicemail or fax (message-steps.ts): the PBX reports RECORD_STATUS / FAXSTATUS, then the next step. */
  | MessageAction;

export interface MachineContext {
  readonly inbound: CompiledInbound;
  /** Bitrix24 user → extension, and back (users.yaml merged with the portal's directory). */
  readonly extensionOf: (user: string) => string | null;
  readonly userOf: (extension: string) => string | null;
  /** ms since the epoch (injected). */
  readonly now: number;
  /** The rules' IANA time zone: time steps read its wall clock. */
  readonly timezone: string;
  /** [0, 1) (injected; seeded in tests): only drawn when a weighted-random group starts. */
  readonly random: () => number;
  /** Collect a reason per step (explain only: the hot path formats no text, DECISIONS §28). */
  readonly trace?: string[];
  /** The caller's responsible manager: undefined = not looked up yet (a `lookup` action asks), null = none. */
  readonly responsible?: ResponsibleFacts | null;
}

export interface StepRequest {
  /** The DID's E.164 digits (no plus), already normalised. */
  readonly did: string;
  /** Where the call stood (null = its first request). */
  readonly position: Position | null;
  /** How the previous action ended: DIALSTATUS, QUEUESTATUS, the digits read, or empty. */
  readonly result: string;
}

export interface StepDecision {
  readonly action: InboundAction;
  /** To carry to the next request; null once the call is done (hangup, failopen). */
  readonly position: Position | null;
  readonly scenario: Scenario | null;
  /** Who owns the call if it is missed from here on (the responsible manager once found). */
  readonly owner?: string | null;
}

/** Time and jump steps resolve without the PBX; more of them in a row than this is a loop. */
const MAX_HOPS = 64;

/**
 * The inbound step machine: from where a call stood and how its last action ended, the next
 * action. Pure and stateless: everything it needs to continue is in the returned position.
 */
export function decideStep(ctx: MachineContext, req: StepRequest): StepDecision {
  const note = (text: string): void => {
    ctx.trace?.push(text);
  };
  if (req.position === null) {
    const bound = ctx.inbound.numberByDigits.get(req.did);
    if (!bound) {
      note(`+${req.did} is bound to no scenario`);
      return failopen(`+${req.did} is bound to no scenario`);
    }
    note(`+${req.did} → scenario "${bound.scenario}"`);
    return enter(ctx, { scenario: bound.scenario, step: 0, sub: 0, seed: 0 }, 0);
  }
  const scenario = ctx.inbound.scenarioById.get(req.position.scenario);
  const step = scenario?.steps[req.position.step];
  if (!scenario || !step) {
    // A rules reload removed the step the call was in: it still reaches a human.
    note(`the call's step ${req.position.scenario}#${req.position.step + 1} no longer exists`);
    return failopen(`step ${req.position.scenario}#${req.position.step + 1} no longer exists`);
  }
  return resume(ctx, scenario, step, req.position, req.result.trim());
}

function failopen(reason: string): StepDecision {
  return { action: { kind: 'failopen', reason }, position: null, scenario: null };
}

function hangup(scenario: Scenario | null, reason: string): StepDecision {
  return { action: { kind: 'hangup', reason }, position: null, scenario };
}

const at = (p: Position): string => `${p.scenario}#${p.step + 1}`;

/** The previous action of `step` ended with `result`: stay in the step or move on. */
function resume(ctx: MachineContext, scenario: Scenario, step: Step, pos: Position, result: string): StepDecision {
  const note = (text: string): void => {
    ctx.trace?.push(text);
  };
  const answered = result === 'ANSWER' || result === 'COMPLETECALLER' || result === 'COMPLETEAGENT';
  const next = (): StepDecision => enter(ctx, { scenario: pos.scenario, step: pos.step + 1, sub: 0, seed: 0 }, 0);
  switch (step.kind) {
    case 'extension': {
      if (pos.sub === 1) {
        if (answered) return hangup(scenario, 'answered');
        note(`${at(pos)}: the extension dialled ended ${result || 'without a status'}: next step`);
        return next();
      }
      const user = result === '' ? null : ctx.userOf(result);
      if (result !== '' && user !== null) {
        note(`${at(pos)}: the caller dialled ${result} (user ${user})`);
        const ringing = [{ user, extension: result }];
        return { action: { kind: 'dial', dial: phoneDial(ctx, result), ringTime: step.ringTime, ringing }, position: { ...pos, sub: 1 }, scenario };
      }
      note(`${at(pos)}: ${result === '' ? 'no extension dialled in time' : `${result} is nobody's extension`}: next step`);
      return next();
    }
    case 'group': {
      if (answered) return hangup(scenario, 'answered');
      const more = nextInGroup(ctx, step.group, pos, 0, result);
      if (more) return { ...more, scenario };
      note(`${at(pos)}: group "${step.group}" did not answer (${result || 'no status'}): next step`);
      return next();
    }
    case 'employee':
    case 'external':
    case 'sip':
      if (answered) return hangup(scenario, 'answered');
      note(`${at(pos)}: ${result || 'no status'}: next step`);
      return next();
    case 'ivr': {
      const target = result === '' ? undefined : step.keys[result];
      if (target !== undefined) {
        note(`${at(pos)}: key ${result} → scenario "${target}"`);
        return enter(ctx, { scenario: target, step: 0, sub: 0, seed: 0 }, 0);
      }
      const why = result === '' ? 'no key' : `key ${result} is not in the menu`;
      if (pos.sub + 1 < step.tries) {
        note(`${at(pos)}: ${why}: the menu again (try ${pos.sub + 2} of ${step.tries})`);
        return { action: { kind: 'read', prompt: step.prompt, timeout: step.timeout, maxDigits: 1 }, position: { ...pos, sub: pos.sub + 1 }, scenario };
      }
      const jump = result === '' ? step.onTimeout : step.onInvalid;
      if (jump !== null) {
        note(`${at(pos)}: ${why} → scenario "${jump}"`);
        return enter(ctx, { scenario: jump, step: 0, sub: 0, seed: 0 }, 0);
      }
      note(`${at(pos)}: ${why}: next step`);
      return next();
    }
    case 'responsible':
      return outcome(scenario, responsibleMove(ctx, scenario, step, pos, result, note), next);
    case 'anyManager':
      return outcome(scenario, anyManagerMove(ctx, scenario, step, pos, result, note), next);
    default:
      // play (played or cut at its time) and anything that never waits: on to the next step.
      return next();
  }
}

/** A responsible / any-manager move as a decision. */
function outcome(scenario: Scenario, o: Outcome, next: () => StepDecision): StepDecision {
  if (o.kind === 'answered') return hangup(scenario, 'answered');
  if (o.kind === 'next') return next();
  return { action: o.action, position: o.position, scenario, ...(o.owner !== undefined ? { owner: o.owner } : {}) };
}

/** Runs steps from `pos` until one needs the PBX. */
function enter(ctx: MachineContext, start: Position, hopsSoFar: number): StepDecision {
  const note = (text: string): void => {
    ctx.trace?.push(text);
  };
  let pos = start;
  for (let hops = hopsSoFar; hops < MAX_HOPS; hops++) {
    const scenario = ctx.inbound.scenarioById.get(pos.scenario);
    if (!scenario) return failopen(`unknown scenario "${pos.scenario}"`);
    const step = scenario.steps[pos.step];
    if (!step) {
      note(`${at(pos)}: end of scenario "${scenario.id}": hang up`);
      return hangup(scenario, `end of scenario "${scenario.id}"`);
    }
    const following: Position = { scenario: pos.scenario, step: pos.step + 1, sub: 0, seed: 0 };
    switch (step.kind) {
      case 'play':
        note(`${at(pos)}: play ${step.file}${step.seconds === null ? ' to its end' : ` for ${step.seconds} s`}`);
        return { action: { kind: 'play', file: step.file, seconds: step.seconds }, position: pos, scenario };
      case 'extension':
        note(`${at(pos)}: wait ${step.timeout} s for an extension${step.prompt === null ? '' : ` (prompt ${step.prompt})`}`);
        return { action: { kind: 'read', prompt: step.prompt, timeout: step.timeout, maxDigits: step.maxDigits }, position: pos, scenario };
      case 'ivr':
        note(`${at(pos)}: menu ${step.prompt}: keys ${Object.entries(step.keys).map(([k, s]) => `${k}→${s}`).join(', ')}`);
        return { action: { kind: 'read', prompt: step.prompt, timeout: step.timeout, maxDigits: 1 }, position: pos, scenario };
      case 'group': {
        const started = startGroup(ctx, step.group, pos, 0);
        if (started) return { ...started, scenario };
        note(`${at(pos)}: group "${step.group}" has no member with an extension: skipped`);
        pos = following;
        continue;
      }
      case 'employee': {
        const extension = ctx.extensionOf(step.user);
        if (extension === null) {
          note(`${at(pos)}: user ${step.user} has no extension: skipped`);
          pos = following;
          continue;
        }
        note(`${at(pos)}: call user ${step.user} at ${extension} for ${step.ringTime} s`);
        return ringAction(ctx, scenario, pos, [{ user: step.user, extension }], step.ringTime);
      }
      case 'external':
        note(`${at(pos)}: forward to ${step.number} through outbound routing (origin inbound, department ${scenario.department ?? 'none'})`);
        return { action: { kind: 'forward', number: step.number, department: scenario.department, ringTime: step.ringTime }, position: pos, scenario };
      case 'sip':
        note(`${at(pos)}: dial ${step.address} for ${step.ringTime} s`);
        return { action: { kind: 'dial', dial: step.address, ringTime: step.ringTime, ringing: [] }, position: pos, scenario };
      case 'time': {
        const t = localTime(ctx.now, ctx.timezone);
        const holiday = isHoliday(t, step.holidays);
        const inside = !holiday && step.ranges.some((r) => inRange(t, r));
        const target = inside ? step.inside : step.outside;
        note(`${at(pos)}: ${t.date} ${t.time} (${ctx.timezone}) is ${holiday ? 'a holiday' : inside ? 'inside the hours' : 'outside the hours'} → ${target === null ? 'next step' : `scenario "${target}"`}`);
        pos = target === null ? following : { scenario: target, step: 0, sub: 0, seed: 0 };
        continue;
      }
      case 'goto':
        note(`${at(pos)}: go to scenario "${step.scenario}"`);
        pos = { scenario: step.scenario, step: 0, sub: 0, seed: 0 };
        continue;
      case 'hangup':
        note(`${at(pos)}: hang up`);
        return hangup(scenario, `hang-up step ${at(pos)}`);
      case 'voicemail':
      case 'fax':
        note(`${at(pos)}: ${messageReason(step)}`);
        return { action: messageAction(step), position: pos, scenario };
      case 'responsible':
      case 'anyManager': {
        const o = step.kind === 'responsible' ? responsibleMove(ctx, scenario, step, pos, null, note) : anyManagerMove(ctx, scenario, step, pos, null, note);
        if (o.kind === 'act') return { action: o.action, position: o.position, scenario, ...(o.owner !== undefined ? { owner: o.owner } : {}) };
        pos = following;
        continue;
      }
    }
  }
  note(`more than ${MAX_HOPS} time and jump steps in a row: the scenarios loop`);
  return failopen(`the scenarios loop at ${at(pos)}`);
}

function ringAction(ctx: MachineContext, scenario: Scenario, pos: Position, ringing: readonly Ringing[], ringTime: number): StepDecision {
  return { action: dialAction(ctx, ringing, ringTime), position: pos, scenario };
}
