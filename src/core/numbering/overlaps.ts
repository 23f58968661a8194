/** Compact columnar store of imported ranges, kept only to check overlaps across a whole plan. */
export interface RangeColumns {
  readonly count: number;
  code(i: number): number;
  from(i: number): number;
  to(i: number): number;
}

export interface Overlap {
  /** Indices into the columns: `first` starts earlier, `second` begins inside it. */
  readonly first: number;
  readonly second: number;
}

/**
 * Sorts ranges by (code, from) and returns the first pair that overlaps, or null. Ranges from
 * different files of one plan are checked together (a DEF file imported twice overlaps itself).
 */
export function findOverlap(cols: RangeColumns): Overlap | null {
  const order = new Uint32Array(cols.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => cols.code(a) - cols.code(b) || cols.from(a) - cols.from(b) || a - b);
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1]!;
    const cur = order[k]!;
    if (cols.code(prev) === cols.code(cur) && cols.from(cur) <= cols.to(prev)) {
      return { first: prev, second: cur };
    }
  }
  return null;
}

/** Growable typed columns: about 16 bytes a range, so a 100k-row plan costs under 2 MB. */
export class RangeColumnsBuilder implements RangeColumns {
  private codes = new Uint16Array(1024);
  private froms = new Int32Array(1024);
  private tos = new Int32Array(1024);
  private n = 0;

  get count(): number {
    return this.n;
  }

  push(code: number, from: number, to: number): number {
    if (this.n === this.codes.length) this.grow();
    this.codes[this.n] = code;
    this.froms[this.n] = from;
    this.tos[this.n] = to;
    return this.n++;
  }

  code(i: number): number {
    return this.codes[i]!;
  }

  from(i: number): number {
    return this.froms[i]!;
  }

  to(i: number): number {
    return this.tos[i]!;
  }

  private grow(): void {
    const size = this.codes.length * 2;
    const codes = new Uint16Array(size);
    codes.set(this.codes);
    const froms = new Int32Array(size);
    froms.set(this.froms);
    const tos = new Int32Array(size);
    tos.set(this.tos);
    this.codes = codes;
    this.froms = froms;
    this.tos = tos;
  }
}
