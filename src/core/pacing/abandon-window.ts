/**
 * The abandoned-call rate of one campaign over a rolling window (24 h by default, 30 days
 * selectable): customers who answered and were dropped for want of a free operator, over all
 * customers who answered. Counted in minute buckets so a 30-day window stays small.
 */
export const ABANDON_WINDOWS = Object.freeze({ '24h': 24 * 3_600_000, '30d': 30 * 24 * 3_600_000 });
export type AbandonWindowName = keyof typeof ABANDON_WINDOWS;

export interface AbandonCounts {
  /** Customers who answered (served or dropped), live calls only. */
  readonly answered: number;
  /** Of those, dropped: no operator, or (estimated) live people among the machine verdicts. */
  readonly abandoned: number;
}

const BUCKET_MS = 60_000;

export class AbandonWindow {
  private readonly buckets = new Map<number, { answered: number; abandoned: number }>();

  constructor(readonly windowMs: number) {}

  /** One answered customer; `abandoned` may be fractional (the estimated live share of machine drops). */
  add(at: number, abandoned: number): void {
    this.addCounts(at, 1, abandoned);
  }

  addCounts(at: number, answered: number, abandoned: number): void {
    const key = Math.floor(at / BUCKET_MS);
    const b = this.buckets.get(key) ?? { answered: 0, abandoned: 0 };
    b.answered += answered;
    b.abandoned += abandoned;
    this.buckets.set(key, b);
  }

  counts(now: number): AbandonCounts {
    const oldest = Math.floor((now - this.windowMs) / BUCKET_MS);
    let answered = 0;
    let abandoned = 0;
    for (const [key, b] of this.buckets) {
      if (key <= oldest) {
        this.buckets.delete(key);
        continue;
      }
      answered += b.answered;
      abandoned += b.abandoned;
    }
    return { answered, abandoned };
  }
}

/** The rate in percent (0 when nobody answered yet). */
export function abandonedPct(c: AbandonCounts): number {
  return c.answered === 0 ? 0 : (100 * c.abandoned) / c.answered;
}

/**
 * "At the target": one more drop would put the window at or over it. A fresh window is at the
 * target until enough customers have answered for one drop to fit (33 at 3 %).
 */
export function atTarget(c: AbandonCounts, targetPct: number): boolean {
  return (c.abandoned + 1) / (c.answered + 1) > targetPct / 100;
}
