import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { InboundService } from '../../../app/inbound/inbound-service.ts';
import { explanationToJson, explanationToText, parseAt, parseKeys, parseWhatIf } from '../../../app/inbound/render-explanation.ts';
import { queuesConf } from '../../../app/inbound/queues-conf.ts';
import { CliFailure } from '../failure.ts';
import { defaultRouteCliDeps, type RouteCliDeps } from './route.ts';

export interface InboundExplainOptions {
  readonly did?: string;
  readonly from?: string;
  readonly at?: string;
  readonly keys?: string;
  readonly json?: boolean;
  /** Who the CRM lookup finds as the caller's responsible manager (a Bitrix24 user id). */
  readonly responsible?: string;
  /** That manager's profile phones (PERSONAL_MOBILE, WORK_PHONE), comma-separated. */
  readonly responsiblePhones?: string;
  /** Extensions whose phones are offline (the rest are free), comma-separated. */
  readonly offline?: string;
}

type InboundCliDeps = Pick<RouteCliDeps, 'loadRules' | 'stdout' | 'stderr'>;

export async function runInboundExplain(opts: InboundExplainOptions, deps: InboundCliDeps = defaultRouteCliDeps): Promise<void> {
  if (!opts.did) throw new CliFailure('--did is required: the inbound number called', 2);
  const keys = parseKeys(opts.keys);
  if (!Array.isArray(keys)) throw new CliFailure(`--${keys.error}`, 1);
  const at = parseAt(opts.at, Date.now());
  if (typeof at !== 'number') throw new CliFailure(`--${at.error}`, 1);
  const rules = await deps.loadRules(loadEnv());
  const service = new InboundService({ rules: { current: () => rules }, now: () => at, random: Math.random });
  const whatIf = parseWhatIf(opts, rules);
  if ('error' in whatIf) throw new CliFailure(`--${whatIf.error}`, 1);
  const e = service.explain({ did: opts.did, at, keys, ...whatIf });
  if ('error' in e) throw new CliFailure(`--did: ${e.error}`, 1);
  const req = { did: opts.did, caller: opts.from ?? null, at, timezone: rules.timezone, keys };
  deps.stdout(`${opts.json ? JSON.stringify(explanationToJson(req, e), null, 2) : explanationToText(req, e)}\n`);
}

export function registerInboundCommands(program: Command, deps: InboundCliDeps = defaultRouteCliDeps): void {
  const inbound = program.command('inbound').description('inbound calls: the path a call would take, the queues its groups need');
  inbound
    .command('explain')
    .description('the steps a call to an inbound number would go through, with the reason for each (nobody answering)')
    .option('--did <number>', 'the inbound number called, in any usual form')
    .option('--from <number>', "the caller's number")
    .option('--caller <number>', 'the same as --from')
    .option('--at <iso-time>', 'when the call arrives (default: now), e.g. 2026-12-02T20:00:00+03:00')
    .option('--keys <keys>', 'what the caller presses at each menu or extension prompt, comma-separated: 2,101')
    .option('--responsible <user>', "who the CRM finds as the caller's responsible manager (default: nobody)")
    .option('--responsible-phones <numbers>', "that manager's profile phones, PERSONAL_MOBILE first, comma-separated")
    .option('--offline <extensions>', 'extensions whose phones are offline (the others are free), comma-separated')
    .option('--json', 'print the explanation as JSON')
    .action(async (opts: InboundExplainOptions & { caller?: string }) => {
      await runInboundExplain({ ...opts, ...(opts.from === undefined && opts.caller !== undefined ? { from: opts.caller } : {}) }, deps);
    });
  inbound
    .command('queues')
    .description('queues.conf sections for the groups that ring through an Asterisk queue (rrmemory, leastrecent)')
    .action(async () => {
      deps.stdout(queuesConf(await deps.loadRules(loadEnv())));
    });
}
