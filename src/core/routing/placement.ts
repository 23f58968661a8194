import type { PhoneNumber } from '../phone/normalize.ts';
import type { CompiledTrunk } from '../rules/compile.ts';
import type { CompiledMask } from '../rules/mask.ts';
import { formatNumber } from './dial-string.ts';
import { perMinute } from './price.ts';

/** A trunk that made it into the candidate list, with its sort keys. */
export interface Placed {
  readonly ct: CompiledTrunk;
  readonly tier: number;
  readonly mask: CompiledMask | null;
  readonly price: number;
  readonly number: string;
}

/** Prices a trunk for this destination and formats the number the way it wants it. */
export function placed(
  ct: CompiledTrunk,
  tier: number,
  mask: CompiledMask | null,
  number: PhoneNumber,
  carrierKey: string | null,
  onNetKey: string | null,
): Placed {
  return {
    ct,
    tier,
    mask,
    price: perMinute(ct, number.digits, carrierKey, onNetKey),
    number: formatNumber(number.digits, ct.trunk.numberFormat) ?? number.digits,
  };
}

/** Tier; inside the mask tier more fixed digits first; then cheapest, mask priority, trunk priority, id. */
export function comparePlaced(a: Placed, b: Placed): number {
  if (a.tier !== b.tier) return a.tier - b.tier;
  if (a.mask !== null && b.mask !== null) {
    const spec = b.mask.specificity - a.mask.specificity;
    if (spec !== 0) return spec;
  }
  if (a.price !== b.price) return a.price - b.price;
  if (a.mask !== null && b.mask !== null && a.mask.priority !== b.mask.priority) return a.mask.priority - b.mask.priority;
  if (a.ct.trunk.priority !== b.ct.trunk.priority) return a.ct.trunk.priority - b.ct.trunk.priority;
  return a.ct.id < b.ct.id ? -1 : a.ct.id > b.ct.id ? 1 : 0;
}
