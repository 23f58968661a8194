/**
 * What the simulated far ends do. A `TrunkScript` says, per dial string, how the callee side of a
 * Dial behaves; a `PhoneScript` says how a manager's own phone answers an Originate.
 * All durations are telephony milliseconds (scaled by the double's timeScale).
 */

export type TrunkOutcome =
  /** Rings `ringMs` (0 = answers at once), is answered, talks `talkMs`, then the callee hangs up (cause 16). */
  | { readonly kind: 'answer'; readonly ringMs?: number; readonly talkMs?: number }
  /** The callee is busy (SIP 486 / Busy()). */
  | { readonly kind: 'busy'; readonly ringMs?: number }
  /** Rings until the Dial timeout (ROUTE_TIMEOUT). */
  | { readonly kind: 'noanswer' }
  /** The trunk hangs up before answer with this Q.850 cause (34 congestion, 68 no balance, 21 rejected…). */
  | { readonly kind: 'hangup'; readonly cause: number; readonly ringMs?: number }
  /** The channel cannot be set up at all (Local: no such context; other techs: request failed). */
  | { readonly kind: 'unavailable' };

export interface TrunkRule {
  /** Exact dial string, a glob with `*` (any characters), or a RegExp, matched against the whole dial string. */
  readonly match: string | RegExp;
  /** One outcome, or a list played in turn on successive dials that match (the last one repeats). */
  readonly outcome: TrunkOutcome | readonly TrunkOutcome[];
}

export interface DialInfo {
  /** The number the call is for (the connector-outbound extension). */
  readonly number: string;
  /** ${ATTEMPT} when the Dial runs (0 for the fail-open Dial). */
  readonly attempt: number;
}

/** Rules tried in order (first match wins), or a function. Unmatched dial strings are `unavailable`. */
export type TrunkScript = readonly TrunkRule[] | ((dial: string, info: DialInfo) => TrunkOutcome | undefined);

export type PhoneScript =
  /** The manager's phone answers after `afterMs` (0 = at once) and stays on the line. */
  | { readonly kind: 'answer'; readonly afterMs?: number }
  /** It rings and never answers: the Originate times out (OriginateResponse Failure, Reason 3). */
  | { readonly kind: 'noanswer' }
  /** It is busy (OriginateResponse Failure, Reason 5). */
  | { readonly kind: 'busy' };

export const ANSWER_AT_ONCE: PhoneScript = { kind: 'answer', afterMs: 0 };

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Resolves dial strings to outcomes, remembering how many times each list rule has been used. */
export class TrunkPlayer {
  private readonly used = new Map<TrunkRule, number>();
  private readonly compiled: readonly { rule: TrunkRule; re: RegExp }[];

  constructor(private readonly script: TrunkScript) {
    this.compiled = typeof script === 'function' ? [] : script.map((rule) => ({ rule, re: typeof rule.match === 'string' ? globToRegExp(rule.match) : rule.match }));
  }

  outcomeFor(dial: string, info: DialInfo): TrunkOutcome {
    if (typeof this.script === 'function') return this.script(dial, info) ?? { kind: 'unavailable' };
    for (const { rule, re } of this.compiled) {
      if (!re.test(dial)) continue;
      if (!Array.isArray(rule.outcome)) return rule.outcome as TrunkOutcome;
      const list = rule.outcome as readonly TrunkOutcome[];
      const n = this.used.get(rule) ?? 0;
      this.used.set(rule, n + 1);
      return list[Math.min(n, list.length - 1)] ?? { kind: 'unavailable' };
    }
    return { kind: 'unavailable' };
  }
}
