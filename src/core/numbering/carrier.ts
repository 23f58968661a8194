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
  /**
   * The gateway carrier that is on-net for this number: `carriers.yaml` `onNet:` maps a virtual
   * operator to its host network (e.g. `sber-mobile` → `tele2`), otherwise it equals `key`.
   * Null for landline and unknown numbers, since on-net only applies to mobile numbers (DECISIONS §4).
   * Routing compares `trunk.carrier` with this field. Optional so older fixtures stay valid:
   * absent means "same as key".
   */
  readonly onNet?: string | null;
}

/** Looks up the carrier of a number given as E.164 digits without `+` (`79261234567`). */
export interface CarrierLookup {
  lookup(digits: string): CarrierInfo;
}

export const UNKNOWN_CARRIER: CarrierInfo = Object.freeze({
  key: null, operator: null, inn: null, region: null, kind: null, source: 'unknown', onNet: null,
});

/** The carrier routing should treat as on-net for `info`: `onNet` when present, else `key`. */
export function onNetCarrier(info: CarrierInfo): string | null {
  return info.onNet === undefined ? info.key : info.onNet;
}
