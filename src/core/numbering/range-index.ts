import { bucketStarts } from './bucket-starts.ts';

/** Input to the index: one range of one code, pointing at an entry (operator, INN, region). */
export interface IndexedRange {
  readonly code: number;
  readonly from: number;
  readonly to: number;
  readonly entry: number;
}

const CODES = 1000;
const BUCKETS_PER_CODE = 1000;
const BUCKET_SPAN = 10_000;

/**
 * Immutable range index: ranges sorted by (code, from) in typed arrays, a per-code directory,
 * binary search inside the code. Lookup allocates nothing.
 */
export class RangeIndex {
  /**
   * `buckets[code * 1000 + b]`: index of the first range of `code` whose `from` is at least
   * b × 10 000 (4 MB). Narrows the binary search to the one or two ranges near the number.
   */
  private readonly buckets: Int32Array;

  private constructor(
    /** `dir[code]`..`dir[code + 1]` is the slice of ranges for `code`. */
    private readonly dir: Int32Array,
    private readonly froms: Int32Array,
    private readonly tos: Int32Array,
    private readonly entries: Int32Array,
  ) {
    this.buckets = froms.length === 0 ? new Int32Array(0) : bucketStarts(dir, froms, CODES, BUCKETS_PER_CODE, BUCKET_SPAN);
  }

  static readonly EMPTY = RangeIndex.build([]);

  get size(): number {
    return this.froms.length;
  }

  /** Builds from ranges in any order; ranges must not overlap (the importer guarantees it). */
  static build(ranges: readonly IndexedRange[]): RangeIndex {
    const sorted = [...ranges].sort((a, b) => a.code - b.code || a.from - b.from);
    const n = sorted.length;
    const dir = new Int32Array(CODES + 1);
    const froms = new Int32Array(n);
    const tos = new Int32Array(n);
    const entries = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = sorted[i]!;
      if (!Number.isInteger(r.code) || r.code < 0 || r.code >= CODES) throw new RangeError(`code ${r.code} is outside 000–999`);
      froms[i] = r.from;
      tos[i] = r.to;
      entries[i] = r.entry;
      dir[r.code + 1]!++;
    }
    for (let c = 1; c <= CODES; c++) dir[c]! += dir[c - 1]!;
    return new RangeIndex(dir, froms, tos, entries);
  }

  /** Entry of the range holding `rest` (the 7 digits after the code), or -1. */
  find(code: number, rest: number): number {
    if (this.froms.length === 0) return -1;
    const bucket = code * BUCKETS_PER_CODE + ((rest / BUCKET_SPAN) | 0);
    // The range holding `rest` starts in this bucket or is the last one starting before it.
    const codeStart = this.dir[code]!;
    let lo = this.buckets[bucket]! - 1;
    if (lo < codeStart) lo = codeStart;
    let hi = this.buckets[bucket + 1]! - 1;
    const froms = this.froms;
    // Last range with from <= rest.
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (froms[mid]! <= rest) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || this.tos[found]! < rest) return -1;
    return this.entries[found]!;
  }
}
