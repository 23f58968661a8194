import type { GroupMember } from './model.ts';
import { seededRandom } from '../random/seeded.ts';

/**
 * A weighted-random group's ringing order (seed 001: a member with 4× the share is about 4× as
 * likely to ring first), drawn without replacement. Deterministic for a seed, so the order stays
 * the same across the stateless requests of one step; the seed comes from injected randomness.
 */
export function weightedOrder<M extends Pick<GroupMember, 'weight'>>(members: readonly M[], seed: number): M[] {
  const next = seededRandom(seed);
  const left = [...members];
  const out: M[] = [];
  while (left.length > 0) {
    const total = left.reduce((s, m) => s + Math.max(m.weight, 0), 0);
    let pick = left.length - 1;
    if (total > 0) {
      let r = next() * total;
      pick = left.findIndex((m) => (r -= Math.max(m.weight, 0)) < 0);
      if (pick < 0) pick = left.length - 1;
    } else {
      pick = Math.floor(next() * left.length);
    }
    out.push(...left.splice(pick, 1));
  }
  return out;
}
