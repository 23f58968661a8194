import type { Command } from 'commander';
import { buildSavingsReport } from '../../../app/savings/build-report.ts';
import type { CallCostSource } from '../../../app/savings/ports.ts';
import { savingsToCsv, savingsToJson, savingsToText } from '../../../app/savings/render.ts';
import type { CompiledRules } from '../../../core/rules/compile.ts';
import { reportPeriod } from '../../../core/savings/period.ts';
import { SAVINGS_GROUP_BY, type SavingsGroupBy } from '../../../core/savings/types.ts';
import { loadEnv, type Env } from '../../../config/env.ts';
import { ensureMigrated, openDb } from '../../db/connection.ts';
import { CallCostRepository } from '../../db/repositories/call-cost-repository.ts';
import { CliFailure } from '../failure.ts';
import { defaultRouteCliDeps } from './route.ts';

export interface ReportCliDeps {
  readonly openSource: (env: Readonly<Env>) => Promise<{ readonly source: CallCostSource; close(): Promise<void> }>;
  readonly loadRules: (env: Readonly<Env>) => CompiledRules | Promise<CompiledRules>;
  readonly now: () => number;
  readonly stdout: (text: string) => void;
}

export const defaultReportCliDeps: ReportCliDeps = {
  async openSource(env) {
    const db = openDb({ url: env.DATABASE_URL });
    await ensureMigrated(db);
    return { source: new CallCostRepository(db), close: () => db.destroy() };
  },
  loadRules: (env) => defaultRouteCliDeps.loadRules(env),
  now: () => Date.now(),
  stdout: (t) => process.stdout.write(t),
};

export interface SavingsOptions {
  readonly from?: string;
  readonly to?: string;
  readonly by?: string;
  readonly json?: boolean;
  readonly csv?: boolean;
}

/** `report savings`: what the routing saved against the default trunks, and what would save more. */
export async function runReportSavings(opts: SavingsOptions, deps: ReportCliDeps, env: Readonly<Env>): Promise<void> {
  const by = (opts.by ?? 'trunk') as SavingsGroupBy;
  if (!SAVINGS_GROUP_BY.includes(by)) throw new CliFailure(`report savings: --by must be one of ${SAVINGS_GROUP_BY.join(', ')} (got "${opts.by}")`, 2);
  if (opts.json && opts.csv) throw new CliFailure('report savings: give --json or --csv, not both', 2);
  const rules = await deps.loadRules(env);
  const period = reportPeriod({ from: opts.from, to: opts.to }, rules.timezone, deps.now());
  if (typeof period === 'string') throw new CliFailure(`report savings: ${period}`, 2);
  const { source, close } = await deps.openSource(env);
  try {
    const report = await buildSavingsReport({ source, rules: () => rules }, period.from, period.to, by);
    if (opts.json) deps.stdout(`${JSON.stringify(savingsToJson(report), null, 2)}\n`);
    else if (opts.csv) deps.stdout(savingsToCsv(report));
    else deps.stdout(savingsToText(report));
  } finally {
    await close();
  }
}

export function registerReportCommands(program: Command, deps: ReportCliDeps = defaultReportCliDeps): void {
  const report = program.command('report').description('reports over the stored calls');
  report
    .command('savings')
    .description('what the calls cost, what they would have cost through the default trunks only, the cheapest possible, and what would save more')
    .option('--from <date>', 'first day (YYYY-MM-DD in the rules\' time zone) or an ISO time; default: 30 days before --to')
    .option('--to <date>', 'last day, included (YYYY-MM-DD) or an ISO time; default: now')
    .option('--by <key>', `group by ${SAVINGS_GROUP_BY.join(' | ')}`, 'trunk')
    .option('--json', 'print as JSON')
    .option('--csv', 'print the groups as CSV')
    .action(async (opts: SavingsOptions) => {
      await runReportSavings(opts, deps, loadEnv());
    });
}
