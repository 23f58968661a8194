/** A seeded generator (mulberry32): the same seed gives the same simulated day everywhere. */
export type Random = () => number;

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

/** Lognormal with the given mean and standard deviation (Box–Muller). */
export function lognormal(random: Random, mean: number, sd: number): number {
  const sigma2 = Math.log(1 + (sd / mean) ** 2);
  const mu = Math.log(mean) - sigma2 / 2;
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.exp(mu + Math.sqrt(sigma2) * z);
}

export function uniform(random: Random, from: number, to: number): number {
  return from + (to - from) * random();
}
