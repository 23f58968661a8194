import type { GroupMember } from './model.ts';

/**
 * A weighted-random group's ringing order (seed 001: a member with 4× the share is about 4× as
 * likely to ring first), drawn without replacement. Deterministic for a seed, so the order stays
 * the same across the stateless requests of one step; the seed comes from injected randomness.
 */
export function weightedOrder<M extends Pick<GroupMember, 'weight'>>(members: readonly M[], seed: number): M[] {
  const next = mulberry32(seed);
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

/** A small, well-known 32-bit PRNG: enough to shuffle a ring order, not for secrets. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
