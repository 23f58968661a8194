import { PortedSet } from './ported-set.ts';

const CODES = 1000;

/** Per-code growable columns; only the ~80 mobile codes ever fill up. */
class CodeColumn {
  rests = new Int32Array(256);
  ords = new Uint16Array(256);
  n = 0;

  push(rest: number, ord: number): void {
    if (this.n === this.rests.length) {
      const size = this.rests.length * 2;
      const rests = new Int32Array(size);
      rests.set(this.rests);
      const ords = new Uint16Array(size);
      ords.set(this.ords);
      this.rests = rests;
      this.ords = ords;
    }
    this.rests[this.n] = rest;
    this.ords[this.n++] = ord;
  }
}

/**
 * Collects a full ported-number file (Port_All) row by row in typed arrays and builds the
 * sorted set at the end: memory stays near 6 bytes a number plus growth slack.
 */
export class PortedSetBuilder {
  private readonly columns: (CodeColumn | undefined)[] = new Array(CODES);
  private readonly owners: string[] = [];
  private readonly ownerIndex = new Map<string, number>();
  private rows = 0;

  get count(): number {
    return this.rows;
  }

  /** Interns an owner id and returns its ordinal (call once per distinct owner, then `addOrdinal`). */
  ownerOrdinal(owner: string): number {
    let ord = this.ownerIndex.get(owner);
    if (ord === undefined) {
      ord = this.owners.length;
      if (ord > 0xffff) throw new RangeError('ported set: more than 65535 distinct owners');
      this.owners.push(owner);
      this.ownerIndex.set(owner, ord);
    }
    return ord;
  }

  /** Adds a 10-digit national number with an owner ordinal from `ownerOrdinal`. */
  addOrdinal(number: number, ord: number): void {
    const code = Math.floor(number / 1e7);
    let col = this.columns[code];
    if (!col) this.columns[code] = col = new CodeColumn();
    col.push(number - code * 1e7, ord);
    this.rows++;
  }

  add(number: number, owner: string): void {
    this.addOrdinal(number, this.ownerOrdinal(owner));
  }

  /**
   * Sorts each code and drops repeated numbers (the one kept is reported as `duplicates`).
   * Sorting happens in place in each code's columns, then everything is copied once into the
   * snapshot-layout buffer while the per-code columns are released.
   */
  build(): { set: PortedSet; duplicates: number } {
    let total = 0;
    let duplicates = 0;
    for (let code = 0; code < CODES; code++) {
      const col = this.columns[code];
      if (!col || col.n === 0) continue;
      // Sort remainder and owner together as one float: rest * 65536 + ord is below 2^40.
      const keys = new Float64Array(col.n);
      for (let i = 0; i < col.n; i++) keys[i] = col.rests[i]! * 65536 + col.ords[i]!;
      keys.sort();
      let o = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const rest = Math.floor(k / 65536);
        if (o > 0 && col.rests[o - 1] === rest) {
          duplicates++;
          col.ords[o - 1] = k - rest * 65536;
          continue;
        }
        col.rests[o] = rest;
        col.ords[o++] = k - rest * 65536;
      }
      col.n = o;
      total += o;
    }
    const out = PortedSet.allocate(this.owners, total);
    let at = 0;
    for (let code = 0; code < CODES; code++) {
      const col = this.columns[code];
      if (col && col.n > 0) {
        out.rests.set(col.rests.subarray(0, col.n), at);
        out.ownerOrds.set(col.ords.subarray(0, col.n), at);
        at += col.n;
        this.columns[code] = undefined;
      }
      out.dir[code + 1] = at;
    }
    this.rows = 0;
    return { set: out.finish(), duplicates };
  }
}
