import type { CompiledTrunk } from '../rules/compile.ts';

export type PriceSource = 'prefix' | 'carrier' | 'default';

/**
 * Per-minute price of a trunk to a destination: the longest destination prefix, else the
 * callee's carrier (its own key, then the carrier whose network it rides on), else the default.
 */
export function perMinute(trunk: CompiledTrunk, digits: string, carrierKey: string | null, onNetKey: string | null): number {
  for (const p of trunk.prefixTariffs) if (digits.startsWith(p.prefix)) return p.perMinute;
  const byCarrier = trunk.trunk.tariffs.byCarrier;
  if (carrierKey !== null) {
    const price = byCarrier[carrierKey];
    if (price !== undefined) return price;
  }
  if (onNetKey !== null && onNetKey !== carrierKey) {
    const price = byCarrier[onNetKey];
    if (price !== undefined) return price;
  }
  return trunk.trunk.tariffs.default;
}

/** Where the price came from (explain mode only). */
export function priceSource(trunk: CompiledTrunk, digits: string, carrierKey: string | null, onNetKey: string | null): string {
  for (const p of trunk.prefixTariffs) if (digits.startsWith(p.prefix)) return `prefix +${p.prefix}`;
  const byCarrier = trunk.trunk.tariffs.byCarrier;
  if (carrierKey !== null && byCarrier[carrierKey] !== undefined) return `carrier ${carrierKey}`;
  if (onNetKey !== null && byCarrier[onNetKey] !== undefined) return `carrier ${onNetKey}`;
  return 'default tariff';
}
