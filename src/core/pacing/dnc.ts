/**
 * The do-not-call list: whole numbers and prefixes (E.164 digits). Built once per change; a check
 * is a set lookup per prefix length, so it costs the same with ten entries or a million.
 */
export interface DncEntry {
  /** E.164 digits without `+`. */
  readonly digits: string;
  readonly kind: 'number' | 'prefix';
}

export class DncList {
  private readonly numbers = new Set<string>();
  private readonly prefixes = new Set<string>();
  private readonly prefixLengths: number[];

  constructor(entries: readonly DncEntry[]) {
    const lengths = new Set<number>();
    for (const e of entries) {
      if (e.kind === 'number') this.numbers.add(e.digits);
      else {
        this.prefixes.add(e.digits);
        lengths.add(e.digits.length);
      }
    }
    this.prefixLengths = [...lengths].sort((a, b) => a - b);
  }

  get size(): number {
    return this.numbers.size + this.prefixes.size;
  }

  /** The entry that forbids calling these digits, or null. */
  match(digits: string): DncEntry | null {
    if (this.numbers.has(digits)) return { digits, kind: 'number' };
    for (const n of this.prefixLengths) {
      if (n > digits.length) break;
      const p = digits.slice(0, n);
      if (this.prefixes.has(p)) return { digits: p, kind: 'prefix' };
    }
    return null;
  }
}

export const EMPTY_DNC = new DncList([]);
