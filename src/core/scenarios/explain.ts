import { describeMessageAction, simulatedMessageResult } from './message-steps.ts';
import { decideStep, type InboundAction, type MachineContext } from './step-machine.ts';
import type { Position } from './position.ts';

export interface ExplainInput {
  /** The DID's E.164 digits (no plus). */
  readonly did: string;
  /** Keys the caller presses, one per read (an extension as one entry: `101`). Missing = no key in time. */
  readonly keys: readonly string[];
  /** Devices (`PJSIP/101`) to show as offline when probed; the others are free. */
  readonly offline?: readonly string[];
}

export interface ExplainedStep {
  readonly action: InboundAction;
  /** Why, step by step, since the previous action. */
  readonly reasons: readonly string[];
}

export interface Explanation {
  readonly did: string;
  readonly steps: readonly ExplainedStep[];
  /** How the walk ended: the call hangs up, fails open, or the walk stopped at its length limit. */
  readonly end: string;
  /** Who the call would be finished with in the CRM, missed as it is here, and why; null = not written. */
  readonly missedOwner: { readonly user: string; readonly why: string } | null;
}

/** An explanation walks at most this many actions (a menu that loops back would never end). */
const MAX_ACTIONS = 40;

/**
 * The path a call would take: every action with its reasons, assuming nobody answers (so every
 * fallback shows) and the caller presses `keys` in turn. The same step machine as live calls.
 */
export function explainCall(ctx: Omit<MachineContext, 'trace'>, input: ExplainInput): Explanation {
  const steps: ExplainedStep[] = [];
  const keys = [...input.keys];
  let position: Position | null = null;
  let result = '';
  let responsible: string | null = null;
  let rung: string | null = null;
  const owner = (): Explanation['missedOwner'] => {
    if (responsible !== null) return { user: responsible, why: 'the responsible manager' };
    if (rung !== null) return { user: rung, why: 'the last one rung' };
    const fallback = ctx.inbound.rules.missedCallOwner ?? null;
    return fallback === null ? null : { user: fallback, why: 'missedCallOwner' };
  };
  for (let i = 0; i < MAX_ACTIONS; i++) {
    const trace: string[] = [];
    // Without a responsible manager given, the lookup finds none.
    const decision = decideStep({ ...ctx, responsible: ctx.responsible ?? null, trace }, { did: input.did, position, result });
    steps.push({ action: decision.action, reasons: trace });
    if (decision.owner != null) responsible = decision.owner;
    const a = decision.action;
    const ringing = a.kind === 'dial' || a.kind === 'queue' ? a.ringing : a.kind === 'forward' ? a.ringing ?? [] : [];
    rung = ringing.find((r) => r.user !== null)?.user ?? rung;
    if (decision.position === null) {
      return { did: input.did, steps, end: a.kind === 'hangup' ? `hang up: ${a.reason}` : a.kind === 'failopen' ? `fail open: ${a.reason}` : 'done', missedOwner: owner() };
    }
    position = decision.position;
    result = simulatedResult(decision.action, keys, new Set(input.offline ?? []));
  }
  return { did: input.did, steps, end: `stopped after ${MAX_ACTIONS} actions (the scenario loops)`, missedOwner: owner() };
}

function simulatedResult(action: InboundAction, keys: string[], offline: ReadonlySet<string>): string {
  switch (action.kind) {
    case 'probe':
      return action.devices.map((d) => `/${offline.has(d) ? 'UNAVAILABLE' : 'NOT_INUSE'}`).join('');
    case 'read':
      return keys.shift() ?? '';
    case 'dial':
    case 'forward':
      return 'NOANSWER';
    case 'queue':
      return 'TIMEOUT';
    case 'voicemail':
    case 'fax':
      return simulatedMessageResult(action);
    default:
      return '';
  }
}

/** One line per action, for the terminal. */
export function describeAction(a: InboundAction): string {
  switch (a.kind) {
    case 'play':
      return `play ${a.file}${a.seconds === null ? '' : ` (${a.seconds} s)`}`;
    case 'read':
      return `read up to ${a.maxDigits} key(s) within ${a.timeout} s${a.prompt === null ? '' : ` after ${a.prompt}`}`;
    case 'dial':
      return `dial ${a.dial} for ${a.ringTime} s${a.ringing.length > 0 ? ` (rings ${a.ringing.map((r) => (r.user === null ? r.extension : `${r.extension} user ${r.user}`)).join(', ')})` : ''}`;
    case 'queue':
      return `queue ${a.queue} for ${a.ringTime} s (members ${a.ringing.map((r) => r.extension).join(', ')})`;
    case 'forward':
      return `forward to ${a.number} (outbound routing, origin inbound, department ${a.department ?? 'none'})${a.ringing?.length ? ` for user ${a.ringing.map((r) => r.user ?? r.extension).join(', ')}` : ''}`;
    case 'probe':
      return `read the device state of ${a.devices.join(', ')}`;
    case 'lookup':
      return `look the caller up in the CRM (at most ${a.timeout} ms)`;
    case 'hangup':
      return `hang up (${a.reason})`;
    case 'failopen':
      return `fail open to the default group (${a.reason})`;
    case 'voicemail':
    case 'fax':
      return describeMessageAction(a);
  }
}
