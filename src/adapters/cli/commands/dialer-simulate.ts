import type { Command } from 'commander';
import { DEFAULT_PACING_CONFIG, PACING_MODES, type PacingMode } from '../../../core/pacing/pacer.ts';
import { simulate } from '../../../core/pacing/simulation/simulate.ts';
import { CliFailure } from '../failure.ts';

interface SimulateOpts {
  operators: number; answerRate: number; talkMean: number; wrapUp: number; ringMax: number; minutes: number;
  mode: string; ratio?: number; seed: number; target: number; json?: boolean;
  machineRate?: number; amd?: boolean; amdFalsePositive: number; amdVerdict: number;
}

function num(what: string, min: number, max: number, integer = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new CliFailure(`${what} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got "${v}")`, 2);
    }
    return n;
  };
}

/**
 * `dialer simulate`: the live dialer's pacing against the fixed population model
 * (src/core/pacing/simulation/population.ts), seeded, so its figures can be compared anywhere.
 */
export function registerSimulateCommand(dialer: Command): void {
  dialer.command('simulate')
    .description('run the pacing against a simulated population (no PBX, no database)')
    .requiredOption('--operators <n>', 'operators on line', num('--operators', 1, 10_000, true))
    .requiredOption('--answer-rate <p>', 'share of dialled numbers that answer, 0-1 (or a percentage over 1)', num('--answer-rate', 0, 100))
    .requiredOption('--talk-mean <s>', 'mean talk time, seconds (lognormal, sd = mean)', num('--talk-mean', 1, 86_400))
    .requiredOption('--wrap-up <s>', 'wrap-up after every call, seconds', num('--wrap-up', 0, 86_400))
    .requiredOption('--ring-max <s>', 'ring time of an unanswered call, seconds (answers come after 3 s to this)', num('--ring-max', 3, 600))
    .requiredOption('--minutes <m>', 'simulated time', num('--minutes', 1, 60 * 24 * 31, true))
    .requiredOption('--mode <mode>', PACING_MODES.join(' | '))
    .option('--ratio <r>', `calls per free operator in ratio mode (default ${DEFAULT_PACING_CONFIG.ratio})`, num('--ratio', 0.1, 100))
    .option('--target <pct>', 'abandoned calls, percent of answered (default 3)', num('--target', 0.1, 100), 3)
    .option('--seed <n>', 'random seed (default 1)', num('--seed', 0, 2 ** 32 - 1, true), 1)
    .option('--machine-rate <p>', 'share of answers that are answering machines, 0-1 (or a percentage over 1; default 0)', num('--machine-rate', 0, 100))
    .option('--amd', 'answering-machine detection on every customer call (MACHINE verdicts hung up on)')
    .option('--amd-false-positive <pct>', 'with --amd: percent of MACHINE verdicts that are live people, counted as abandoned (default 5)', num('--amd-false-positive', 0, 100), 5)
    .option('--amd-verdict <s>', 'with --amd: seconds from the answer to the verdict (default 2.5)', num('--amd-verdict', 0, 30), 2.5)
    .option('--json', 'one JSON object')
    .action((o: SimulateOpts) => {
      if (!PACING_MODES.includes(o.mode as PacingMode)) throw new CliFailure(`--mode must be one of ${PACING_MODES.join(', ')} (got "${o.mode}")`, 2);
      const answerRate = o.answerRate > 1 ? o.answerRate / 100 : o.answerRate;
      const machineRate = o.machineRate === undefined ? 0 : o.machineRate > 1 ? o.machineRate / 100 : o.machineRate;
      const r = simulate({
        operators: o.operators, minutes: o.minutes, seed: o.seed,
        population: { answerRate, talkMeanS: o.talkMean, wrapUpS: o.wrapUp, ringMaxS: o.ringMax, machineRate },
        amd: o.amd ? { falsePositivePct: o.amdFalsePositive, verdictS: o.amdVerdict } : null,
        pacing: { ...DEFAULT_PACING_CONFIG, mode: o.mode as PacingMode, ratio: o.ratio ?? DEFAULT_PACING_CONFIG.ratio, abandonTargetPct: o.target },
      });
      const json = {
        placed: r.placed, answered: r.answered, abandonedPct: r.abandonedPct, occupancyPct: r.occupancyPct, talkMinutesPerOperatorHour: r.talkMinutesPerOperatorHour,
        // Only when machines or AMD are modelled: the issue's keys stay as they are otherwise.
        ...(r.amd ? { machineVerdicts: r.amd.machineVerdicts, liveHungUp: r.amd.liveHungUp, liveAbandonedPct: r.amd.liveAbandonedPct } : {}),
      };
      if (o.json) {
        process.stdout.write(`${JSON.stringify(json)}\n`);
        return;
      }
      process.stdout.write(`${o.mode}${o.mode === 'ratio' ? ` ${o.ratio ?? DEFAULT_PACING_CONFIG.ratio}` : ''}, ${o.operators} operators, ${o.minutes} min: ` +
        `placed ${r.placed}, answered ${r.answered}, abandoned ${r.abandoned} (${r.abandonedPct} %), occupancy ${r.occupancyPct} %, ` +
        `${r.talkMinutesPerOperatorHour} talk min per operator-hour` +
        (r.amd ? `; ${r.amd.machineVerdicts} MACHINE verdicts hung up on (${r.amd.liveHungUp} of them live people), live people dropped ${r.amd.liveAbandonedPct} %` : '') + '\n');
    });
}
