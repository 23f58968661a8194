import type { CompiledRules } from '../rules/compile.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';
import type { Attempt } from './types.ts';

/** What may have changed since the plan was computed. */
export interface TrunkState {
  /** Trunk ids disabled at run time. */
  readonly disabled?: ReadonlySet<string> | readonly string[];
  /** Channels in use per trunk id right now. */
  readonly busyChannels?: Readonly<Record<string, number>>;
  /** Trunk ids marked down. */
  readonly downTrunks?: ReadonlySet<string> | readonly string[];
  /** Trunks whose breaker opened or whose SIM reached a limit since the plan was made. */
  readonly health?: HealthSnapshot;
}

function has(list: ReadonlySet<string> | readonly string[] | undefined, id: string): boolean {
  if (list === undefined) return false;
  return 'has' in list ? list.has(id) : list.includes(id);
}

/**
 * The FastAGI side's step through a stored plan (DECISIONS §6): the plan was computed once when
 * the call started; each route request takes the next stored entry, from `index` on, whose trunk
 * is still enabled, healthy and has a free channel. The order is never recomputed, so a rules reload in the
 * middle of a call cannot reshuffle it; a trunk the current rules disable or no longer contain is
 * skipped. Returns the entry and its position (ask again with position + 1), or null when the plan
 * is used up.
 */
export function nextAttempt(
  plan: readonly Attempt[],
  index: number,
  state: TrunkState,
  rules: CompiledRules,
): { readonly attempt: Attempt; readonly index: number } | null {
  for (let i = Math.max(0, index); i < plan.length; i++) {
    const attempt = plan[i];
    if (!attempt) continue;
    const trunk = rules.trunkById.get(attempt.trunk)?.trunk;
    if (!trunk || !trunk.enabled) continue;
    if (has(state.disabled, trunk.id) || has(state.downTrunks, trunk.id)) continue;
    if (state.health !== undefined && state.health.has(trunk.id)) continue;
    if (trunk.channels !== null && (state.busyChannels?.[trunk.id] ?? 0) >= trunk.channels) continue;
    return { attempt, index: i };
  }
  return null;
}
