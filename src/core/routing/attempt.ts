import type { CallerIdCandidate } from '../callerid/candidates.ts';
import { chooseCallerId, describeCallerId } from '../callerid/choose.ts';
import type { PhoneNumber } from '../phone/normalize.ts';
import type { EffectivePolicy } from '../rules/compile.ts';
import { renderDial } from './dial-string.ts';
import { TIER_ORDER } from './eligibility.ts';
import type { Placed } from './placement.ts';
import { priceSource } from './price.ts';
import type { Attempt, Tier } from './types.ts';

/** A placed trunk as an attempt: dial string, caller ID, and with `explain` the reasons. */
export function toAttempt(
  p: Placed,
  chain: readonly CallerIdCandidate[],
  number: PhoneNumber,
  carrierKey: string | null,
  onNetKey: string | null,
  lineValue: string | null,
  policy: EffectivePolicy,
  explain: boolean,
): Attempt {
  const t = p.ct.trunk;
  const tier = TIER_ORDER[p.tier] as Tier;
  let callerId: string | null;
  let callerIdReason: string | undefined;
  if (tier === 'manual') {
    // A Bitrix24 line is a trunk plus its number: the line fixes the caller ID (DECISIONS §7).
    callerId = p.ct.presentable[0] ?? null;
    if (explain) callerIdReason = `fixed by the manual line "${lineValue ?? ''}": trunk ${t.id}'s own number`;
  } else {
    const choice = chooseCallerId(chain, p.ct);
    callerId = choice.number;
    if (explain) callerIdReason = describeCallerId(choice, p.ct, chain);
  }
  const attempt: Attempt = {
    trunk: t.id,
    dial: renderDial(p.ct.dial, p.number, number.digits, t.id),
    callerId,
    tier,
    perMinute: p.price,
    ringTimeout: t.ringTimeout,
  };
  if (!explain) return attempt;
  return {
    ...attempt,
    reason: tierReason(p, tier, onNetKey, policy) + `; ${p.price}/min (${priceSource(p.ct, number.digits, carrierKey, onNetKey)})`,
    callerIdReason,
  };
}

function tierReason(p: Placed, tier: Tier, onNetKey: string | null, policy: EffectivePolicy): string {
  switch (tier) {
    case 'manual': return `manual line ${p.ct.trunk.line ?? ''} chosen by the manager`;
    case 'on-net': return `on-net: trunk carrier ${p.ct.trunk.carrier ?? ''} matches the callee's mobile carrier ${onNetKey ?? ''}`;
    case 'mask': return `mask ${p.mask?.mask ?? ''} (${p.mask?.specificity ?? 0} fixed digits, mask priority ${p.mask?.priority ?? 0})`;
    case 'default': return `default trunk of department(s) ${policy.sources.join(', ')}`;
    case 'universal': return 'universal trunk (no carrier, no mask): last resort';
    case 'off-net': return 'other allowed trunk, off-net';
  }
}
