import { UNKNOWN_CARRIER, type CarrierInfo, type CarrierLookup } from './carrier.ts';
import type { CarrierMapping } from './carrier-mapping.ts';
import { kindOfCode } from './plan-row.ts';
import { PortedSet } from './ported-set.ts';
import { RangeIndex, type IndexedRange } from './range-index.ts';

/** An (operator, INN, region) triple of the plan; ranges point at entries by ordinal. */
export interface PlanEntry {
  readonly operator: string;
  readonly inn: string | null;
  readonly region: string | null;
}

export interface CarrierIndexInput {
  readonly entries: readonly PlanEntry[];
  readonly ranges: readonly IndexedRange[];
  readonly ported?: PortedSet;
  readonly mapping: CarrierMapping;
}

const DIGIT_0 = 48;

/** The 3-digit code of a Russian number (`79261234567` → 926): the only plan ranges its lookup reads. */
export function planCodeOf(digits: string): number | null {
  return /^7\d{10}$/.test(digits) ? Number(digits.slice(1, 4)) : null;
}

/**
 * The immutable carrier lookup: ported overrides first, then the registry ranges. Every answer
 * is a pre-built frozen object, so the hot path does not allocate. Carrier keys are applied
 * here (not at import) so a carriers.yaml change takes effect on reload.
 */
export class CarrierIndex implements CarrierLookup {
  /** `infos[entry * 2]` for mobile codes, `infos[entry * 2 + 1]` for landline codes. */
  private readonly infos: CarrierInfo[];
  /** Ported owner ordinal → carrier key and on-net gateway. */
  private readonly ownerKeys: (string | null)[];
  private readonly ownerOnNet: (string | null)[];
  /** Region ordinal of each entry: ported answers depend on (region, owner) only, a small dense cache. */
  private readonly entryRegion: Int32Array;
  private readonly regions: (string | null)[] = [null];
  private readonly portedInfos: (CarrierInfo | undefined)[] = [];

  private constructor(
    private readonly ranges: RangeIndex,
    entries: readonly PlanEntry[],
    private readonly ported: PortedSet,
    mapping: CarrierMapping,
  ) {
    this.infos = new Array<CarrierInfo>(entries.length * 2);
    entries.forEach((e, i) => {
      const key = mapping.carrierOf(e.operator, e.inn);
      const base = { key, operator: e.operator, inn: e.inn, region: e.region, source: 'range' as const };
      this.infos[i * 2] = Object.freeze({ ...base, kind: 'mobile' as const, onNet: mapping.onNetOf(key) });
      this.infos[i * 2 + 1] = Object.freeze({ ...base, kind: 'landline' as const, onNet: null });
    });
    const regionIndex = new Map<string, number>();
    this.entryRegion = new Int32Array(entries.length);
    entries.forEach((e, i) => {
      if (e.region === null) return;
      let r = regionIndex.get(e.region);
      if (r === undefined) {
        r = this.regions.length;
        this.regions.push(e.region);
        regionIndex.set(e.region, r);
      }
      this.entryRegion[i] = r;
    });
    this.ownerKeys = ported.owners.map((o) => mapping.carrierOfOwner(o));
    this.ownerOnNet = this.ownerKeys.map((k) => mapping.onNetOf(k));
  }

  static build(input: CarrierIndexInput): CarrierIndex {
    return new CarrierIndex(RangeIndex.build(input.ranges), input.entries, input.ported ?? PortedSet.EMPTY, input.mapping);
  }

  static empty(mapping: CarrierMapping): CarrierIndex {
    return new CarrierIndex(RangeIndex.EMPTY, [], PortedSet.EMPTY, mapping);
  }

  get rangeCount(): number {
    return this.ranges.size;
  }

  get portedCount(): number {
    return this.ported.size;
  }

  lookup(digits: string): CarrierInfo {
    // 7 + 3-digit code + 7 digits; anything else (foreign, short, malformed) is unknown.
    if (digits.length !== 11 || digits.charCodeAt(0) !== DIGIT_0 + 7) return UNKNOWN_CARRIER;
    let code = 0;
    for (let i = 1; i < 4; i++) {
      const d = digits.charCodeAt(i) - DIGIT_0;
      if (d < 0 || d > 9) return UNKNOWN_CARRIER;
      code = code * 10 + d;
    }
    let rest = 0;
    for (let i = 4; i < 11; i++) {
      const d = digits.charCodeAt(i) - DIGIT_0;
      if (d < 0 || d > 9) return UNKNOWN_CARRIER;
      rest = rest * 10 + d;
    }
    const first = (code / 100) | 0;
    // +7 6xx/7xx is Kazakhstan; 0xx–2xx and 5xx are not assigned in Russia.
    if (first !== 3 && first !== 4 && first !== 8 && first !== 9) return UNKNOWN_CARRIER;
    const entry = this.ranges.find(code, rest);
    if (this.ported.size > 0) {
      const owner = this.ported.find(code, rest);
      if (owner >= 0) return this.portedInfo(owner, entry, code);
    }
    if (entry < 0) return UNKNOWN_CARRIER;
    return this.infos[entry * 2 + (first === 9 ? 0 : 1)]!;
  }

  /** Ported answers keep the range's region (portability is within a region) and are cached. */
  private portedInfo(owner: number, entry: number, code: number): CarrierInfo {
    const region = entry >= 0 ? this.entryRegion[entry]! : 0;
    const kind = kindOfCode(code);
    const slot = ((region * this.ownerKeys.length + owner) << 1) + (kind === 'mobile' ? 0 : 1);
    let info = this.portedInfos[slot];
    if (!info) {
      info = Object.freeze({
        key: this.ownerKeys[owner] ?? null,
        operator: null,
        inn: null,
        region: this.regions[region] ?? null,
        kind,
        source: 'ported' as const,
        onNet: kind === 'mobile' ? this.ownerOnNet[owner] ?? null : null,
      });
      this.portedInfos[slot] = info;
    }
    return info;
  }
}
