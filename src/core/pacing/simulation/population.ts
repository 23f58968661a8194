import { lognormal, uniform, type Random } from './rng.ts';

/**
 * The fixed population model of `dialer simulate` (so its figures mean the same to everyone):
 * a dialled number answers with probability P after a ring uniform between 3 s and `ringMax`,
 * else ends unanswered at `ringMax` — except 10 % busy and 10 % unreachable after 1–3 s; talk is
 * lognormal with the mean `talkMean` and a standard deviation equal to it; wrap-up is fixed.
 */
export interface Population {
  /** Answer probability; may change during the day (a function of the time since the start, ms). */
  readonly answerRate: number | ((atMs: number) => number);
  readonly talkMeanS: number;
  readonly wrapUpS: number;
  readonly ringMaxS: number;
}

export type CallFate =
  | { readonly answered: true; readonly ringMs: number; readonly talkMs: number }
  | { readonly answered: false; readonly ringMs: number; readonly outcome: 'no-answer' | 'busy' | 'unreachable' };

export function fateOf(population: Population, random: Random, atMs: number): CallFate {
  const p = typeof population.answerRate === 'function' ? population.answerRate(atMs) : population.answerRate;
  const ringMaxMs = population.ringMaxS * 1000;
  if (random() < p) {
    const talkMs = lognormal(random, population.talkMeanS, population.talkMeanS) * 1000;
    return { answered: true, ringMs: uniform(random, 3000, Math.max(3000, ringMaxMs)), talkMs };
  }
  const r = random();
  if (r < 0.1) return { answered: false, ringMs: uniform(random, 1000, 3000), outcome: 'busy' };
  if (r < 0.2) return { answered: false, ringMs: uniform(random, 1000, 3000), outcome: 'unreachable' };
  return { answered: false, ringMs: ringMaxMs, outcome: 'no-answer' };
}
