/** Where the carrier of a number came from. */
export type CarrierSource = 'range' | 'ported' | 'unknown';

/** The carrier a callee's number belongs to, as the routing core sees it. */
export interface CarrierInfo {
  /** Carrier key from rules/carriers.yaml (`mts`, `megafon`, `beeline`, `tele2`…), null when unmapped or unknown. */
  readonly key: string | null;
  /** Operator name as the registry spells it (null for ported numbers and unknown ones). */
  readonly operator: string | null;
  readonly inn: string | null;
  readonly region: string | null;
  /** `mobile` for DEF codes (9xx), `landline` for ABC codes; null when unknown. On-net applies to mobile only (DECISIONS §4). */
  readonly kind: 'mobile' | 'landline' | null;
  readonly source: CarrierSource;
}

/** Looks up the carrier of a number given as E.164 digits without `+` (`79261234567`). */
export interface CarrierLookup {
  lookup(digits: string): CarrierInfo;
}

export const UNKNOWN_CARRIER: CarrierInfo = Object.freeze({
  key: null, operator: null, inn: null, region: null, kind: null, source: 'unknown',
});
