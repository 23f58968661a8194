import { lognormal, uniform, type Random } from './rng.ts';

/**
 * The fixed population model of `dialer simulate` (so its figures mean the same to everyone):
 * a dialled number answers with probability P after a ring uniform between 3 s and `ringMax`,
 * else ends unanswered at `ringMax` — except 10 % busy and 10 % unreachable after 1–3 s; talk is
 * lognormal with the mean `talkMean` and a standard deviation equal to it; wrap-up is fixed.
 * Optionally, a share of the answers are answering machines (none by default).
 */
export interface Population {
  /** Answer probability; may change during the day (a function of the time since the start, ms). */
  readonly answerRate: number | ((atMs: number) => number);
  readonly talkMeanS: number;
  readonly wrapUpS: number;
  readonly ringMaxS: number;
  /** Share of the answers that are answering machines, 0–1 (default 0). */
  readonly machineRate?: number;
}

/**
 * Answering-machine detection on the customer leg, as a campaign configures it: its verdict comes
 * `verdictS` after the answer; every machine is called MACHINE, and so are enough live people that
 * `falsePositivePct` % of the MACHINE verdicts are live (the campaign's estimate, taken as true).
 */
export interface AmdModel {
  readonly falsePositivePct: number;
  readonly verdictS: number;
}

/** Without detection, an operator who gets a machine hears its greeting and hangs up after this long. */
export const MACHINE_HANDLING_MS = 10_000;

export type CallFate =
  | { readonly answered: true; readonly ringMs: number; readonly talkMs: number; readonly machine: boolean }
  | { readonly answered: false; readonly ringMs: number; readonly outcome: 'no-answer' | 'busy' | 'unreachable' };

export function fateOf(population: Population, random: Random, atMs: number): CallFate {
  const p = typeof population.answerRate === 'function' ? population.answerRate(atMs) : population.answerRate;
  const ringMaxMs = population.ringMaxS * 1000;
  if (random() < p) {
    const talkMs = lognormal(random, population.talkMeanS, population.talkMeanS) * 1000;
    const ringMs = uniform(random, 3000, Math.max(3000, ringMaxMs));
    // Drawn only when machines are modelled: the default population's draws stay the same.
    const machine = (population.machineRate ?? 0) > 0 && random() < (population.machineRate as number);
    return { answered: true, ringMs, talkMs: machine ? MACHINE_HANDLING_MS : talkMs, machine };
  }
  const r = random();
  if (r < 0.1) return { answered: false, ringMs: uniform(random, 1000, 3000), outcome: 'busy' };
  if (r < 0.2) return { answered: false, ringMs: uniform(random, 1000, 3000), outcome: 'unreachable' };
  return { answered: false, ringMs: ringMaxMs, outcome: 'no-answer' };
}

/**
 * The chance AMD calls a live person MACHINE, so that `falsePositivePct` % of its MACHINE verdicts
 * are live: live·h / (machines + live·h) = fp.
 */
export function liveCalledMachine(machineRate: number, falsePositivePct: number): number {
  const fp = falsePositivePct / 100;
  if (machineRate <= 0 || fp <= 0) return 0;
  if (machineRate >= 1 || fp >= 1) return 1;
  return Math.min(1, (fp * machineRate) / ((1 - fp) * (1 - machineRate)));
}
