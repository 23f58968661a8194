/** A number in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * A seeded generator (mulberry32, a small well-known 32-bit PRNG): the same seed gives the same
 * sequence everywhere. For ring orders and simulations, never for secrets.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
