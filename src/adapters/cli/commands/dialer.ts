import fs from 'node:fs';
import type { Command } from 'commander';
import { loadEnv, type Env } from '../../../config/env.ts';
import { addToDnc, dncEntryOf, saveOperator, setOperatorOnline } from '../../../app/dialer/admin.ts';
import { DialerInputError, importCsvLeads, saveCampaign, setCampaignStatus, type CampaignAdmin } from '../../../app/dialer/campaigns.ts';
import type { Campaign } from '../../../app/dialer/model.ts';
import { formatWindow } from '../../../core/pacing/settings.ts';
import { migrateLatest, openDb } from '../../db/connection.ts';
import { DialerRepository } from '../../db/repositories/dialer-repository.ts';
import { CliFailure } from '../failure.ts';
import { registerSimulateCommand } from './dialer-simulate.ts';
import { defaultRouteCliDeps } from './route.ts';

/** Runs one dialer command against DATABASE_URL; bad input exits 1 naming what, and changes nothing. */
async function withDialer<T>(work: (store: DialerRepository, env: Readonly<Env>) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const db = openDb({ url: env.DATABASE_URL });
  try {
    await migrateLatest(db);
    return await work(new DialerRepository(db), env);
  } catch (err) {
    if (err instanceof DialerInputError) throw new CliFailure(err.message, 1);
    throw err;
  } finally {
    await db.destroy();
  }
}

async function admin(store: DialerRepository, env: Readonly<Env>): Promise<CampaignAdmin> {
  const rules = await defaultRouteCliDeps.loadRules(env);
  return { store, now: () => Date.now(), defaultTimezone: rules.timezone, knownDepartment: (id) => rules.departmentById.has(id) };
}

function int(what: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CliFailure(`${what} must be a whole number ≥ 0 (got "${v}")`, 2);
    return n;
  };
}

function campaignLine(c: Campaign): string {
  const s = c.settings;
  return `${c.id}  ${c.status.padEnd(8)} ${(s.pooled ? `${s.pooled.mode}${s.pooled.mode === 'ratio' ? ` ${s.pooled.ratio}` : ` ≤${s.pooled.abandonTargetPct} %/${s.pooled.abandonWindow}`}` : s.mode).padEnd(11)}${s.amd ? ' amd' : ''} department ${c.department}  operators [${c.operators.join(', ')}]  hours ${formatWindow(s.callingHours)}${s.quietHours.length ? ` quiet ${s.quietHours.map(formatWindow).join(',')}` : ''}  retry ${s.retry.noAnswer}/${s.retry.unreachable}/${s.retry.busy}/${s.retry.technical} min  max ${s.maxAttempts}${s.wrapUpSeconds ? `  wrap-up ${s.wrapUpSeconds} s` : ''}`;
}

interface CampaignOpts {
  name?: string; department: string; operators?: string; mode?: string; hours?: string; quiet?: string; maxAttempts?: number;
  retryNoAnswer?: number; retryUnreachable?: number; retryBusy?: number; retryTechnical?: number;
  capDay?: number; capWeek?: number; capMonth?: number; timezone?: string; ringSeconds?: number; wrapUp?: number;
  ratio?: number; abandonTarget?: number; abandonWindow?: string; amd?: boolean; amdFalsePositive?: number;
}

function decimal(what: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliFailure(`${what} must be a number ≥ 0 (got "${v}")`, 2);
    return n;
  };
}

/** `dialer campaign|operator|dnc …`: the auto-dialer's set-up, on the same database the service reads. */
export function registerDialerCommands(program: Command): void {
  const dialer = program.command('dialer').description('auto-dialer: campaigns, operators, the do-not-call list');
  const out = (t: string) => process.stdout.write(t);

  const campaign = dialer.command('campaign').description('campaigns: save, import leads, start/pause/stop, progress');
  campaign.command('save <id>')
    .description('create or change a campaign (a new one is a draft)')
    .requiredOption('--department <id>', 'the department whose trunk policy and numbers the customer calls use')
    .option('--name <name>', 'a readable name')
    .option('--operators <ids>', 'Bitrix24 user ids of the team, comma-separated')
    .option('--mode <mode>', 'preview | progressive | ratio | predictive')
    .option('--ratio <r>', 'ratio mode: calls per free operator (1.2)', decimal('--ratio'))
    .option('--abandon-target <pct>', 'predictive: abandoned calls, percent of answered (3)', decimal('--abandon-target'))
    .option('--abandon-window <w>', 'predictive: the window of that rate, 24h or 30d (24h)')
    .option('--amd', "answering-machine detection on the customer's leg")
    .option('--no-amd', 'no answering-machine detection')
    .option('--amd-false-positive <pct>', 'share of machine verdicts counted as dropped live calls (5)', decimal('--amd-false-positive'))
    .option('--hours <HH:MM-HH:MM>', "calling hours in the callee's own time (default 09:00-21:00)")
    .option('--quiet <windows>', 'quiet hours, comma-separated HH:MM-HH:MM')
    .option('--max-attempts <n>', 'calls per lead at most', int('--max-attempts'))
    .option('--retry-no-answer <min>', 'minutes before calling again after no answer (90)', int('--retry-no-answer'))
    .option('--retry-unreachable <min>', 'after unreachable (90)', int('--retry-unreachable'))
    .option('--retry-busy <min>', 'after busy (5)', int('--retry-busy'))
    .option('--retry-technical <min>', 'after a technical error or no free operator (10)', int('--retry-technical'))
    .option('--cap-day <n>', 'calls per number per day', int('--cap-day'))
    .option('--cap-week <n>', 'per week', int('--cap-week'))
    .option('--cap-month <n>', 'per month', int('--cap-month'))
    .option('--timezone <tz>', "when the callee's region is unknown (default: the rules' timezone)")
    .option('--ring-seconds <s>', "how long the customer's phone rings (≥ 15)", int('--ring-seconds'))
    .option('--wrap-up <s>', 'after-call work: seconds an operator is left alone after each customer they talked to (0)', int('--wrap-up'))
    .action(async (id: string, o: CampaignOpts) => {
      await withDialer(async (store, env) => {
        const retry = { noAnswer: o.retryNoAnswer, unreachable: o.retryUnreachable, busy: o.retryBusy, technical: o.retryTechnical };
        const caps = { perDay: o.capDay, perWeek: o.capWeek, perMonth: o.capMonth };
        const c = await saveCampaign(await admin(store, env), {
          id, department: o.department,
          operators: o.operators ? o.operators.split(',').map((s) => s.trim()).filter((s) => s !== '') : (await store.getCampaign(id))?.operators ?? [],
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.mode !== undefined ? { mode: o.mode } : {}),
          ...(o.hours !== undefined ? { hours: o.hours } : {}),
          ...(o.quiet !== undefined ? { quiet: o.quiet.split(',').filter((q) => q.trim() !== '') } : {}),
          ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
          retry: Object.fromEntries(Object.entries(retry).filter(([, v]) => v !== undefined)),
          caps: Object.fromEntries(Object.entries(caps).filter(([, v]) => v !== undefined)),
          ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
          ...(o.ringSeconds !== undefined ? { ringSeconds: o.ringSeconds } : {}),
          ...(o.wrapUp !== undefined ? { wrapUpSeconds: o.wrapUp } : {}),
          ...(o.ratio !== undefined ? { ratio: o.ratio } : {}),
          ...(o.abandonTarget !== undefined ? { abandonTarget: o.abandonTarget } : {}),
          ...(o.abandonWindow !== undefined ? { abandonWindow: o.abandonWindow } : {}),
          ...(o.amd !== undefined ? { amd: o.amd } : {}),
          ...(o.amdFalsePositive !== undefined ? { amdFalsePositive: o.amdFalsePositive } : {}),
        });
        out(`${campaignLine(c)}\n`);
      });
    });
  campaign.command('import <id> <file>')
    .description('add leads from a CSV file: number[,title[,entityType,entityId]] per line')
    .action(async (id: string, file: string) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliFailure(`${file}: ${(err as Error).message}`, 1);
      }
      await withDialer(async (store, env) => {
        const r = await importCsvLeads(await admin(store, env), id, text, env.DEFAULT_COUNTRY);
        for (const line of r.rejected) process.stderr.write(`${file}: ${line}\n`);
        out(`${id}: ${r.added} lead(s) added, ${r.duplicates} already in the campaign, ${r.rejected.length} rejected\n`);
      });
    });
  for (const [action, status] of [['start', 'running'], ['pause', 'paused'], ['stop', 'stopped']] as const) {
    campaign.command(`${action} <id>`).description(`${action} the campaign`).action(async (id: string) => {
      await withDialer(async (store, env) => {
        await setCampaignStatus(await admin(store, env), id, status);
        out(`${id}: ${status}\n`);
      });
    });
  }
  campaign.command('list').description('campaigns with their progress').action(async () => {
    await withDialer(async (store) => {
      for (const c of await store.listCampaigns()) {
        const p = await store.progress(c.id);
        out(`${campaignLine(c)}\n    leads: ${Object.entries(p.leads).map(([k, v]) => `${k} ${v}`).join(', ')}; calls ${p.attempts}: ${Object.entries(p.outcomes).map(([k, v]) => `${k} ${v}`).join(', ') || 'none yet'}\n`);
      }
    });
  });

  const operator = dialer.command('operator').description('operators: their phones, on and off line');
  operator.command('save <id>')
    .description('an operator (Bitrix24 user id) and the phone the dialer rings')
    .requiredOption('--dial <device>', 'what Asterisk dials, e.g. PJSIP/101')
    .option('--state-device <device>', 'whose state tells "free" (default: the dialled device)')
    .option('--name <name>', 'a readable name')
    .action(async (id: string, o: { dial: string; stateDevice?: string; name?: string }) => {
      await withDialer(async (store) => {
        const op = await saveOperator(store, { id, dial: o.dial, stateDevice: o.stateDevice ?? null, name: o.name ?? null }, Date.now());
        out(`operator ${op.id}: ${op.dial} (state ${op.stateDevice})\n`);
      });
    });
  for (const [action, online] of [['on', true], ['off', false]] as const) {
    operator.command(`${action} <id>`).description(`put the operator ${online ? 'on' : 'off'} line`).action(async (id: string) => {
      await withDialer(async (store) => {
        await setOperatorOnline(store, id, online, Date.now());
        out(`operator ${id}: ${online ? 'on line' : 'off line'}\n`);
      });
    });
  }
  operator.command('list').description('operators and whether they are on line').action(async () => {
    await withDialer(async (store) => {
      for (const o of await store.listOperators()) {
        out(`${o.id}  ${o.online ? 'on line ' : 'off line'}  ${o.dial}  state ${o.stateDevice}${o.callId ? `  in ${o.callId}` : ''}${!o.online && o.offlineReason ? `  (${o.offlineReason})` : ''}\n`);
      }
    });
  });

  registerSimulateCommand(dialer);

  const dnc = dialer.command('dnc').description('the do-not-call list, checked at every dial of every campaign');
  dnc.command('add [numbers...]')
    .description('add numbers (any usual form) and prefixes')
    .option('--prefix <digits...>', 'prefixes, country code first (7800, +7495123)')
    .option('--note <text>', 'why (kept with the entry)')
    .action(async (numbers: string[], o: { prefix?: string[]; note?: string }) => {
      await withDialer(async (store, env) => {
        const added = await addToDnc(store, { numbers, prefixes: o.prefix ?? [], note: o.note ?? null }, env.DEFAULT_COUNTRY, Date.now());
        out(`${added} entr${added === 1 ? 'y' : 'ies'} added\n`);
      });
    });
  dnc.command('import <file>')
    .description('add every number of a file (one per line; lines starting with "prefix:" add a prefix)')
    .action(async (file: string) => {
      const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
      await withDialer(async (store, env) => {
        const numbers = lines.filter((l) => !l.startsWith('prefix:'));
        const prefixes = lines.filter((l) => l.startsWith('prefix:')).map((l) => l.slice(7).trim());
        const added = await addToDnc(store, { numbers, prefixes, note: `import ${file}` }, env.DEFAULT_COUNTRY, Date.now());
        out(`${file}: ${added} new entr${added === 1 ? 'y' : 'ies'} of ${lines.length}\n`);
      });
    });
  dnc.command('remove <value>').option('--prefix', 'the value is a prefix').description('remove a number or prefix').action(async (value: string, o: { prefix?: boolean }) => {
    await withDialer(async (store, env) => {
      const removed = await store.removeDnc(dncEntryOf(value, o.prefix ? 'prefix' : 'number', env.DEFAULT_COUNTRY));
      if (!removed) throw new CliFailure(`${value} is not on the do-not-call list`, 1);
      out(`${value}: removed\n`);
    });
  });
  dnc.command('list').description('every entry').action(async () => {
    await withDialer(async (store) => {
      for (const e of await store.listDnc()) out(`${e.kind.padEnd(6)} +${e.digits}\n`);
    });
  });
}
