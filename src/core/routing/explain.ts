import { describeBlock } from '../health/describe.ts';
import type { TrunkBlock } from '../health/snapshot.ts';
import type { CarrierInfo } from '../numbering/carrier.ts';
import type { PhoneNumber } from '../phone/normalize.ts';
import type { CompiledRules, CompiledTrunk, CompiledUser, EffectivePolicy } from '../rules/compile.ts';
import { allTiers, unusableText, type Unusable } from './eligibility.ts';
import type { Attempt, RouteRequest, Tier } from './types.ts';

/**
 * Trace lines for `explain` (DECISIONS §28). Only called when an explanation was asked for:
 * the hot path never formats text.
 */

/** Why an allowed trunk is not in the attempt list. */
export type TrunkNote =
  | { readonly kind: 'unusable'; readonly unusable: Unusable; readonly block?: TrunkBlock }
  | { readonly kind: 'no-tier' }
  | { readonly kind: 'manual-only'; readonly tier: Tier }
  | { readonly kind: 'beyond-cap'; readonly tier: Tier };

export function describeNumber(request: RouteRequest, number: PhoneNumber, defaultCountry: string | null, international: boolean): string {
  const assumed = defaultCountry === null ? 'given in international form' : `default country ${defaultCountry} for national input`;
  const scope = international ? 'international destination' : 'domestic destination';
  return `number: "${request.number}" → ${number.e164} (${number.country}, ${scope}; ${assumed})`;
}

export function describeCarrier(carrier: CarrierInfo, onNetKey: string | null): string {
  if (carrier.source === 'unknown') return 'carrier: unknown (no ported-number override and no numbering-plan range contains this number)';
  const origin = carrier.source === 'ported' ? 'ported-number override' : 'numbering-plan range';
  const details = [
    carrier.operator !== null ? `operator ${carrier.operator}` : null,
    carrier.inn !== null ? `INN ${carrier.inn}` : null,
    carrier.region !== null ? `region ${carrier.region}` : null,
    carrier.kind,
  ].filter((x) => x !== null).join(', ');
  const key = carrier.key ?? 'unmapped operator';
  const onNet = onNetKey === null
    ? (carrier.kind === 'mobile' ? 'no on-net gateway' : 'not a mobile number: no on-net tier (DECISIONS §4)')
    : onNetKey === carrier.key ? `on-net gateways: carrier ${onNetKey}` : `rides on ${onNetKey}: on-net gateways are ${onNetKey}'s`;
  return `carrier: ${key} from the ${origin}${details ? ` (${details})` : ''}; ${onNet}`;
}

export function describePolicy(rules: CompiledRules, user: CompiledUser, policy: EffectivePolicy): string {
  const u = user.user;
  const name = (id: string) => {
    const d = rules.departmentById.get(id);
    return d ? `${d.name} (${id})` : id;
  };
  const who = !user.employee
    ? `caller: department ${name(u.departments[0] ?? '')} on no employee's behalf`
    : `caller: user ${u.id}${u.name ? ` (${u.name})` : ''}${u.extension ? `, extension ${u.extension}` : ''}, departments [${u.departments.map(name).join(', ')}]`;
  const sources = policy.sources.map(name).join(', ');
  const union = policy.sources.length > 1 ? `union of the policies of ${sources}` : `policy of ${sources}`;
  const defaults = policy.defaultTrunks.size > 0 ? [...policy.defaultTrunks].join(', ') : 'none';
  return `${who}; ${union}: trunks [${policy.trunks.join(', ')}], default ${defaults}, off-net fallback ${policy.offNetFallback ? 'on' : 'off'}, rotate after a manual line ${policy.rotateAfterManualLine ? 'yes' : 'no'}`;
}

export function describeManualLine(line: string, ct: CompiledTrunk, rotate: boolean): string {
  return `manual line "${line}": trunk ${ct.id} first${rotate ? '; the policy rotates to the other trunks after a technical failure' : ' and only (the policy does not rotate away from a manual line)'}`;
}

export function describePlacement(
  ct: CompiledTrunk,
  placed: { readonly index: number; readonly attempt: Attempt } | null,
  note: TrunkNote | undefined,
  policy: EffectivePolicy,
  ctx: { readonly onNetKey: string | null; readonly digits: string; readonly international: boolean; readonly timezone: string },
): string {
  const head = `trunk ${ct.id} (${ct.trunk.name})`;
  if (placed) {
    const others = placed.attempt.tier === 'manual' ? [] : allTiers(ct, policy, ctx.onNetKey, ctx.digits).filter((t) => t !== placed.attempt.tier);
    const also = others.length > 0 ? `; also qualifies for ${others.join(', ')} but a trunk appears once, at its first tier` : '';
    return `${head}: attempt ${placed.index + 1}, tier ${placed.attempt.tier}: ${placed.attempt.reason ?? ''}${also}`;
  }
  if (!policy.trunkSet.has(ct.id)) return `${head}: not used: not in the whitelist of department(s) ${policy.sources.join(', ')}`;
  if (!note) return `${head}: not used`;
  switch (note.kind) {
    case 'unusable':
      if (note.block !== undefined) return `${head}: skipped: ${describeBlock(note.block, ctx.timezone)}`;
      return `${head}: not used: ${unusableText(note.unusable)}`;
    case 'no-tier':
      return `${head}: not used: off-net for this number and the off-net fallback is off for department(s) ${policy.sources.join(', ')}`;
    case 'manual-only':
      return `${head}: not used: would be tier ${note.tier}, but a manual line is not rotated away from`;
    case 'beyond-cap':
      return `${head}: not used: would be tier ${note.tier}, beyond the attempt limit`;
  }
}
