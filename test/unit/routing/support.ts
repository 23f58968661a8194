import type { CarrierInfo, CarrierLookup } from '../../../src/core/numbering/carrier.ts';
import { UNKNOWN_CARRIER } from '../../../src/core/numbering/carrier.ts';
import { compileRules, type CompiledRules } from '../../../src/core/rules/compile.ts';
import { checkRules } from '../../../src/core/rules/check.ts';
import { DEFAULT_BREAKER, type CallerIdRules, type Department, type DepartmentPolicy, type MaskRule, type Rules, type Trunk, type User } from '../../../src/core/rules/model.ts';

/** A trunk with plain defaults: SIP, E.164, unlimited channels, price 1.0. */
export function trunk(id: string, over: Partial<Trunk> = {}): Trunk {
  return {
    id,
    name: id,
    kind: 'sip',
    carrier: null,
    dial: `PJSIP/{number}@${id}`,
    numberFormat: 'e164',
    callerIds: [],
    tariffs: { byCarrier: {}, byPrefix: [], default: 1 },
    channels: null,
    enabled: true,
    priority: 100,
    line: null,
    international: true,
    causeOverrides: {},
    ringTimeout: 60,
    breaker: DEFAULT_BREAKER,
    limits: null,
    ...over,
  };
}

/** A GSM gateway with one SIM: on-net price 0.1, off-net 2.0, no international calls. */
export function gsm(id: string, carrier: string, sim: string, over: Partial<Trunk> = {}): Trunk {
  return trunk(id, {
    kind: 'gsm',
    carrier,
    numberFormat: 'national-8',
    callerIds: [sim],
    tariffs: { byCarrier: { [carrier]: 0.1 }, byPrefix: [], default: 2 },
    international: false,
    ...over,
  });
}

export function department(id: string, policy: Partial<DepartmentPolicy> | null, parent: string | null = null): Department {
  return {
    id,
    name: `dept-${id}`,
    parent,
    policy: policy === null ? null : { trunks: [], defaultTrunk: null, rotateAfterManualLine: false, offNetFallback: true, ...policy },
  };
}

export function user(id: string, departments: string[], extension: string | null = null): User {
  return { id, name: `user-${id}`, extension, departments };
}

export const NO_CALLER_IDS: CallerIdRules = { main: null, personal: [], regional: [], disabled: [], priority: 'regional-first' };

export interface RulesInput {
  trunks: Trunk[];
  departments?: Department[];
  users?: User[];
  masks?: MaskRule[];
  callerIds?: Partial<CallerIdRules>;
  maxAttempts?: number;
}

/** Builds rules in code, asserts they pass the loader's cross-reference checks, and compiles them. */
export function compiled(input: RulesInput): CompiledRules {
  const rules: Rules = {
    trunks: input.trunks,
    departments: input.departments ?? [department('10', { trunks: input.trunks.map((t) => t.id) })],
    users: input.users ?? [user('1', ['10'], '100')],
    masks: input.masks ?? [],
    callerIds: { ...NO_CALLER_IDS, ...input.callerIds },
    crm: { whitelist: { users: [], extensions: [], departments: [] }, excluded: { numbers: [], prefixes: [] }, finishNonWhitelisted: false, createLeads: false },
    maxAttempts: input.maxAttempts ?? 5,
    defaultCountry: 'RU',
    timezone: 'Europe/Moscow',
  };
  const errors = checkRules(rules).filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`test rules are invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return compileRules(rules);
}

export function mobile(key: string, onNet?: string | null): CarrierInfo {
  return { key, operator: key, inn: null, region: null, kind: 'mobile', source: 'range', ...(onNet !== undefined ? { onNet } : {}) };
}

export function landline(key: string): CarrierInfo {
  return { key, operator: key, inn: null, region: null, kind: 'landline', source: 'range', onNet: null };
}

/** A fake carrier index: the longest digits prefix in the map wins; everything else is unknown. */
export function fakeCarriers(byPrefix: Record<string, CarrierInfo>): CarrierLookup {
  const prefixes = Object.keys(byPrefix).sort((a, b) => b.length - a.length);
  return {
    lookup(digits) {
      const p = prefixes.find((x) => digits.startsWith(x));
      return p === undefined ? UNKNOWN_CARRIER : (byPrefix[p] as CarrierInfo);
    },
  };
}

/** The Russian carriers of the examples: 916 MTS, 926 MegaFon, 903 Beeline, 977 Tele2, 495 Moscow landline (MTS). */
export const RU_CARRIERS = fakeCarriers({
  '7916': mobile('mts'),
  '7926': mobile('megafon'),
  '7928': mobile('megafon'),
  '7903': mobile('beeline'),
  '7977': mobile('tele2'),
  '7495': landline('mts'),
});
