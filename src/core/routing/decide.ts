import { callerIdCandidates } from '../callerid/candidates.ts';
import { onNetCarrier, UNKNOWN_CARRIER, type CarrierInfo, type CarrierLookup } from '../numbering/carrier.ts';
import { normalizePhone, type NormalizeOptions, type PhoneNumber } from '../phone/normalize.ts';
import type { CompiledRules, CompiledUser } from '../rules/compile.ts';
import { toAttempt } from './attempt.ts';
import { comparePlaced, placed, type Placed } from './placement.ts';
import type { Attempt, Refusal, RefusalCode, RouteDecision, RouteRequest, Tier } from './types.ts';
import { describeBlock } from '../health/describe.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';
import { firstTier, TIER_ORDER, unusableText, whyUnusable, type Unusable } from './eligibility.ts';
import {
  describeCarrier, describeManualLine, describeNumber, describePolicy, describePlacement, type TrunkNote,
} from './explain.ts';

export interface DecideOptions {
  /** Build the step-by-step trace and per-attempt reasons (DECISIONS §28). Off on the hot path. */
  readonly explain?: boolean;
  /** Trunks out of routes (breaker open, SIM limit), when the request does not bring its own. */
  readonly health?: HealthSnapshot;
}

/**
 * Decides the ordered attempt list for one outgoing call (PRODUCT "Outbound routing",
 * DECISIONS §1–14): normalise, resolve caller and policy, place every allowed trunk at its first
 * tier (manual → on-net → mask → default → universal → off-net), cheapest first inside a tier,
 * cap at maxAttempts, and pick each attempt's caller ID among the numbers that trunk can present.
 * Pure: everything it needs is in the arguments.
 */
export function decideRoute(
  rules: CompiledRules,
  carriers: CarrierLookup,
  request: RouteRequest,
  options: DecideOptions = {},
): RouteDecision {
  const trace: string[] | null = options.explain === true ? [] : null;
  const health = request.health ?? options.health;
  const head: Head = {
    number: null,
    carrier: UNKNOWN_CARRIER,
    user: request.user ?? null,
    extension: request.extension ?? null,
    departments: NONE,
    rotateAfterManualLine: false,
  };

  // 1. The number.
  const defaultCountry = request.numberIsInternational === true ? null : rules.defaultCountry;
  const normalized = normalizePhone(request.number, defaultCountry === null ? NO_DEFAULT : { defaultCountry: defaultCountry as Country });
  if (!normalized.ok) {
    trace?.push(`number: ${normalized.message}`);
    return refuse(head, 'INVALID_NUMBER', normalized.message, trace);
  }
  const number = normalized.number;
  head.number = number;
  const international = number.country !== rules.defaultCountry;
  trace?.push(describeNumber(request, number, defaultCountry, international));

  // 2. The callee's carrier; on-net only for mobile numbers (DECISIONS §4).
  const carrier = carriers.lookup(number.digits);
  head.carrier = carrier;
  const onNetKey = carrier.kind === 'mobile' ? onNetCarrier(carrier) : null;
  const carrierKey = carrier.key;
  trace?.push(describeCarrier(carrier, onNetKey));

  // 3. The caller and their policy (DECISIONS §8).
  const department = head.user === null && head.extension === null ? nonEmpty(request.department) : null;
  const user = department !== null ? rules.departmentCallerById.get(department) : findUser(rules, head.user, head.extension);
  if (!user) {
    const message = department !== null
      ? `unknown caller: department ${department} is not in departments.yaml`
      : head.user === null && head.extension === null
        ? 'unknown caller: no user, extension or department given'
        : `unknown caller: ${head.user !== null ? `user ${head.user}` : `extension ${head.extension ?? ''}`} is not in users.yaml`;
    trace?.push(`caller: ${message}`);
    return refuse(head, 'UNKNOWN_USER', message, trace);
  }
  if (user.employee) {
    head.user = user.user.id;
    head.extension = user.user.extension ?? head.extension;
  }
  const policy = user.policy;
  if (!policy) {
    head.departments = user.user.departments;
    const whose = user.employee ? `user ${user.user.id}` : `department ${department ?? ''}`;
    const message = `no routing policy for ${whose}: none of departments [${user.user.departments.join(', ')}] or their parents has a trunk whitelist`;
    trace?.push(`policy: ${message}`);
    return refuse(head, 'NO_POLICY', message, trace);
  }
  head.departments = policy.sources;
  head.rotateAfterManualLine = policy.rotateAfterManualLine;
  trace?.push(describePolicy(rules, user, policy));

  // 4. Manual line (DECISIONS §7): a trunk plus its number.
  const notes: Map<string, TrunkNote> | null = trace ? new Map() : null;
  const lineValue = manualLineValue(request.line);
  let manual: Placed | null = null;
  if (lineValue !== null) {
    const ct = rules.trunkByLine.get(lineValue);
    if (!ct) {
      const message = `unknown line "${lineValue}": no trunk is published as this Bitrix24 line`;
      trace?.push(`manual line: ${message}`);
      return refuse(head, 'UNKNOWN_LINE', message, trace);
    }
    if (!policy.trunkSet.has(ct.id)) {
      const message = `line "${lineValue}" (trunk ${ct.id}) is not allowed for department(s) ${departmentNames(rules, policy.sources)}`;
      trace?.push(`manual line: ${message}; nothing dialled`);
      return refuse(head, 'LINE_NOT_ALLOWED', message, trace);
    }
    const unusable = whyUnusable(ct, request, health, international, number.digits);
    if (unusable !== null) {
      if (!policy.rotateAfterManualLine) {
        const block = unusable === 'health' ? health?.get(ct.id) : undefined;
        const why = block !== undefined ? describeBlock(block, rules.timezone) : unusableText(unusable);
        const message = `line "${lineValue}" (trunk ${ct.id}) is unavailable: ${why}`;
        trace?.push(`manual line: ${message}; the policy does not rotate away from a manual line`);
        return refuse(head, 'LINE_UNAVAILABLE', message, trace);
      }
      trace?.push(`manual line "${lineValue}" (trunk ${ct.id}) is unavailable (${unusableText(unusable)}): skipped, the policy rotates after a manual line`);
      notes?.set(ct.id, unusableNote(unusable, ct.id, health));
    } else {
      manual = placed(ct, 0, null, number, carrierKey, onNetKey);
      trace?.push(describeManualLine(lineValue, ct, policy.rotateAfterManualLine));
    }
  }

  // 5. Every other allowed trunk at its first tier, then the order and the cap.
  const ordered: Placed[] = [];
  const rotate = manual === null || policy.rotateAfterManualLine;
  for (const ct of policy.trunkList) {
    if (manual !== null && ct === manual.ct) continue;
    const unusable = whyUnusable(ct, request, health, international, number.digits);
    if (unusable !== null) {
      notes?.set(ct.id, unusableNote(unusable, ct.id, health));
      continue;
    }
    const tier = firstTier(ct, policy, onNetKey, number.digits);
    if (tier === null) {
      notes?.set(ct.id, { kind: 'no-tier' });
      continue;
    }
    if (!rotate) {
      notes?.set(ct.id, { kind: 'manual-only', tier: TIER_ORDER[tier.tier] as Tier });
      continue;
    }
    ordered.push(placed(ct, tier.tier, tier.mask, number, carrierKey, onNetKey));
  }
  ordered.sort(comparePlaced);
  if (manual !== null) ordered.unshift(manual);
  if (notes) for (let i = rules.maxAttempts; i < ordered.length; i++) {
    const p = ordered[i] as Placed;
    notes.set(p.ct.id, { kind: 'beyond-cap', tier: TIER_ORDER[p.tier] as Tier });
  }
  if (ordered.length > rules.maxAttempts) ordered.length = rules.maxAttempts;

  // 6. Caller ID per attempt, among the numbers that trunk can present (DECISIONS §11–12).
  const chain = callerIdCandidates(rules, { digits: number.digits, country: number.country, origin: request.origin, user });
  const attempts: Attempt[] = new Array<Attempt>(ordered.length);
  for (let i = 0; i < ordered.length; i++) {
    attempts[i] = toAttempt(ordered[i] as Placed, chain, number, carrierKey, onNetKey, lineValue, policy, trace !== null);
  }

  if (trace && notes) {
    for (const ct of rules.trunks) {
      const index = ordered.findIndex((p) => p.ct === ct);
      const attempt = attempts[index];
      trace.push(describePlacement(ct, attempt ? { index, attempt } : null, notes.get(ct.id), policy, {
        onNetKey, digits: number.digits, international, timezone: rules.timezone,
      }));
    }
    for (const a of attempts) trace.push(`caller ID on ${a.trunk}: ${a.callerId ?? 'none'} (${a.callerIdReason ?? ''})`);
  }

  if (attempts.length === 0) {
    const message = `no allowed trunk can take this call: department(s) ${departmentNames(rules, policy.sources)} allow [${policy.trunks.join(', ')}] but each is disabled, down, out of routes for its health, full, not allowed for ${international ? 'this international destination' : 'this destination'} or off-net with the off-net fallback switched off`;
    trace?.push(`result: ${message}`);
    return refuse(head, 'NO_ALLOWED_TRUNK', message, trace);
  }
  trace?.push(`result: ${attempts.length} attempt(s): ${attempts.map((a) => a.trunk).join(' → ')}`);
  return decision(head, manual ? lineValue : null, attempts, null, trace);
}

function unusableNote(unusable: Unusable, id: string, health: HealthSnapshot | undefined): TrunkNote {
  const block = unusable === 'health' ? health?.get(id) : undefined;
  return block !== undefined ? { kind: 'unusable', unusable, block } : { kind: 'unusable', unusable };
}

function departmentNames(rules: CompiledRules, ids: readonly string[]): string {
  return ids.map((id) => `${rules.departmentById.get(id)?.name ?? id} (${id})`).join(', ');
}

function findUser(rules: CompiledRules, userId: string | null, extension: string | null): CompiledUser | undefined {
  if (userId !== null && userId !== '') return rules.userById.get(userId);
  if (extension !== null && extension !== '') return rules.userByExtension.get(extension);
  return undefined;
}

function nonEmpty(value: string | null | undefined): string | null {
  const v = value?.trim();
  return v === undefined || v === '' ? null : v;
}

/** The published "Automatic (cheapest)" line (`auto`) and an empty value mean: no manual choice. */
function manualLineValue(line: string | null | undefined): string | null {
  if (line == null) return null;
  const v = line.trim();
  return v === '' || v.toLowerCase() === 'auto' ? null : v;
}

/** The parts of a decision known so far, filled in step by step. */
interface Head {
  number: PhoneNumber | null;
  carrier: CarrierInfo;
  user: string | null;
  extension: string | null;
  departments: readonly string[];
  rotateAfterManualLine: boolean;
}

const NONE: readonly string[] = Object.freeze([]);
const NO_ATTEMPTS: readonly Attempt[] = Object.freeze([]);
const NO_DEFAULT: NormalizeOptions = Object.freeze({});
type Country = NonNullable<NormalizeOptions['defaultCountry']>;

function decision(head: Head, manualLine: string | null, attempts: readonly Attempt[], refused: Refusal | null, trace: string[] | null): RouteDecision {
  const out: { -readonly [K in keyof RouteDecision]: RouteDecision[K] } = {
    number: head.number,
    carrier: head.carrier,
    user: head.user,
    extension: head.extension,
    departments: head.departments,
    manualLine,
    rotateAfterManualLine: head.rotateAfterManualLine,
    attempts,
    refused,
  };
  if (trace) out.trace = trace;
  return out;
}

function refuse(head: Head, code: RefusalCode, message: string, trace: string[] | null): RouteDecision {
  return decision(head, null, NO_ATTEMPTS, { code, message }, trace);
}
