import type { CompiledTrunk, EffectivePolicy } from '../rules/compile.ts';
import { maskMatches, type CompiledMask } from '../rules/mask.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';
import type { RouteRequest, Tier } from './types.ts';

/** Tiers in the order DECISIONS §5 lists them; a placed trunk's tier is its index here. */
export const TIER_ORDER: readonly Tier[] = ['manual', 'on-net', 'mask', 'default', 'universal', 'off-net'];

/** Why a trunk cannot take this call right now. */
export type Unusable = 'disabled' | 'down' | 'full' | 'health' | 'gsm-international' | 'numbers-disabled' | 'format';

/** Null when the trunk can take the call (enabled, up, healthy, a free channel, allowed for the destination). */
export function whyUnusable(
  ct: CompiledTrunk,
  request: Pick<RouteRequest, 'busyChannels' | 'downTrunks'>,
  health: HealthSnapshot | undefined,
  international: boolean,
  digits: string,
): Unusable | null {
  const t = ct.trunk;
  if (!t.enabled) return 'disabled';
  if (request.downTrunks !== undefined && request.downTrunks.includes(t.id)) return 'down';
  if (t.channels !== null && (request.busyChannels?.[t.id] ?? 0) >= t.channels) return 'full';
  // Breaker open or a SIM limit reached (the snapshot lists only trunks out of routes).
  if (health !== undefined && health.size > 0 && health.has(t.id)) return 'health';
  if (international && t.kind === 'gsm' && !t.international) return 'gsm-international';
  if (ct.allNumbersDisabled) return 'numbers-disabled';
  // national-10 has no form for numbers outside the +7 zone (see formatNumber).
  if (t.numberFormat === 'national-10' && (digits.length !== 11 || digits.charCodeAt(0) !== 55)) return 'format';
  return null;
}

export function unusableText(u: Unusable): string {
  switch (u) {
    case 'disabled': return 'disabled in the rules';
    case 'down': return 'marked down';
    case 'full': return 'no free channel';
    case 'health': return 'out of routes for its health (technical failures or a SIM limit)';
    case 'gsm-international': return 'a GSM trunk does not carry international calls unless it says international: true';
    case 'numbers-disabled': return 'every number it can present is disabled';
    case 'format': return 'its number format (national-10) cannot carry a number outside the +7 zone';
  }
}

/** The first tier a trunk qualifies for, as an index in TIER_ORDER (manual is placed separately). */
export function firstTier(
  ct: CompiledTrunk,
  policy: EffectivePolicy,
  onNetKey: string | null,
  digits: string,
): { tier: number; mask: CompiledMask | null } | null {
  if (onNetKey !== null && ct.trunk.carrier !== null && ct.trunk.carrier === onNetKey) return { tier: 1, mask: null };
  for (const m of ct.masks) if (maskMatches(m.pattern, digits)) return { tier: 2, mask: m };
  if (policy.defaultTrunks.has(ct.id)) return { tier: 3, mask: null };
  if (ct.universal) return { tier: 4, mask: null };
  if (policy.offNetFallback) return { tier: 5, mask: null };
  return null;
}

/** The named tiers a trunk qualifies for (explain mode: "also qualifies for …"). */
export function allTiers(ct: CompiledTrunk, policy: EffectivePolicy, onNetKey: string | null, digits: string): Tier[] {
  const out: Tier[] = [];
  if (onNetKey !== null && ct.trunk.carrier !== null && ct.trunk.carrier === onNetKey) out.push('on-net');
  if (ct.masks.some((m) => maskMatches(m.pattern, digits))) out.push('mask');
  if (policy.defaultTrunks.has(ct.id)) out.push('default');
  // Off-net is the remainder tier by definition, so it is never an "also".
  if (ct.universal) out.push('universal');
  return out;
}
