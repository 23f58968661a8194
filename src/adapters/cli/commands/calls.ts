import type { Command } from 'commander';
import { explainRoute } from '../../../app/routing/route-call.ts';
import { callReportToJson, callReportToText, type CallReport } from '../../../app/calls/call-report.ts';
import type { StoredCall } from '../../../app/calls/call-record.ts';
import type { CallStore } from '../../../app/calls/ports.ts';
import type { RouteDecision } from '../../../core/routing/types.ts';
import { loadEnv, type Env } from '../../../config/env.ts';
import { ensureMigrated, openDb } from '../../db/connection.ts';
import { CallsRepository } from '../../db/repositories/calls-repository.ts';
import { CliFailure } from '../failure.ts';
import { defaultRouteCliDeps } from './route.ts';

export interface CallsCliDeps {
  readonly openStore: (env: Readonly<Env>) => Promise<{ readonly store: Pick<CallStore, 'findCall' | 'listAttempts' | 'listCalls'>; close(): Promise<void> }>;
  /** Re-explains a call's route with the current rules; null when that is not possible. */
  readonly explain: (env: Readonly<Env>, call: StoredCall) => Promise<RouteDecision | null>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const defaultCallsCliDeps: CallsCliDeps = {
  async openStore(env) {
    const db = openDb({ url: env.DATABASE_URL });
    await ensureMigrated(db);
    return { store: new CallsRepository(db), close: () => db.destroy() };
  },
  async explain(env, call) {
    try {
      const rules = await defaultRouteCliDeps.loadRules(env);
      const carriers = await defaultRouteCliDeps.openCarriers(env);
      return explainRoute(
        { rules: { current: () => rules }, carriers: { current: () => carriers.lookup } },
        { user: call.userId, extension: call.extension, number: call.numberE164 ?? call.number, numberIsInternational: call.numberE164 !== null, origin: call.origin, line: call.line },
      );
    } catch {
      return null;
    }
  },
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** `calls show KEY`: by call id, CRM call id, channel id or Linkedid. Exit 1 when not found. */
export async function runCallsShow(key: string, opts: { json?: boolean; explain?: boolean }, deps: CallsCliDeps, env: Readonly<Env>): Promise<void> {
  if (key.trim() === '') throw new CliFailure('calls show: give a call id, CRM call id or Linkedid', 2);
  const { store, close } = await deps.openStore(env);
  try {
    const call = await store.findCall(key.trim());
    if (!call) throw new CliFailure(`calls show: no call "${key}" (looked up as call id, CRM call id, channel id and Linkedid)`, 1);
    const report: CallReport = {
      call,
      attempts: await store.listAttempts(call.id),
      explanation: opts.explain === false ? null : await deps.explain(env, call),
    };
    deps.stdout(opts.json ? `${JSON.stringify(callReportToJson(report), null, 2)}\n` : `${callReportToText(report)}\n`);
  } finally {
    await close();
  }
}

/** `calls list [--limit N]`: recent calls, newest first. */
export async function runCallsList(opts: { limit?: string; json?: boolean }, deps: CallsCliDeps, env: Readonly<Env>): Promise<void> {
  const limit = Number(opts.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliFailure(`calls list: --limit must be 1..10000 (got "${opts.limit}")`, 2);
  const { store, close } = await deps.openStore(env);
  try {
    const calls = await store.listCalls({ limit });
    if (opts.json) {
      deps.stdout(`${JSON.stringify(calls, null, 2)}\n`);
      return;
    }
    if (calls.length === 0) deps.stdout('no calls yet\n');
    for (const c of calls) {
      const status = c.statusCode ?? c.refusalCode ?? c.state;
      deps.stdout(`${new Date(c.startedAt).toISOString()}  ${c.id}  ${c.origin.padEnd(6)} ext ${(c.extension ?? '-').padEnd(6)} ${(c.numberE164 ?? c.number).padEnd(14)} ${String(status).padEnd(8)} ${c.trunkId ?? '-'}  ${c.durationSec ?? 0} s\n`);
    }
  } finally {
    await close();
  }
}

export function registerCallCommands(program: Command, deps: CallsCliDeps = defaultCallsCliDeps): void {
  const calls = program.command('calls').description('outgoing calls: their route, attempts and outcome');
  calls
    .command('show')
    .description('the whole route of a call: its stored plan, every attempt and outcome, the final STATUS_CODE')
    .argument('<call>', 'call id, Bitrix24 CALL_ID, channel id or Linkedid')
    .option('--json', 'print as JSON')
    .option('--no-explain', 'do not re-explain the plan with the current rules')
    .action(async (key: string, opts: { json?: boolean; explain?: boolean }) => {
      await runCallsShow(key, opts, deps, loadEnv());
    });
  calls
    .command('list')
    .description('recent calls, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action(async (opts: { limit?: string; json?: boolean }) => {
      await runCallsList(opts, deps, loadEnv());
    });
}
