import type { Random } from '../../random/seeded.ts';

export { seededRandom, type Random } from '../../random/seeded.ts';

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
