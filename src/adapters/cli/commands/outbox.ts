import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { ensureMigrated, openDb, type Db } from '../../db/connection.ts';
import { OUTBOX_STATES, OutboxRepository, type OutboxEntry, type OutboxState } from '../../db/repositories/outbox-repository.ts';
import { CliFailure } from '../failure.ts';

async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const db = openDb({ url: env.DATABASE_URL });
  try {
    await ensureMigrated(db);
    return await work(db);
  } finally {
    await db.destroy();
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The JSON shape of `outbox list --json` (params included; recordings appear as a file path, never as content). */
export function entryToJson(e: OutboxEntry): Record<string, unknown> {
  return {
    id: e.id,
    state: e.state,
    method: e.method,
    dedupeKey: e.dedupeKey,
    params: e.params,
    dependsOn: e.dependsOn,
    attempts: e.attempts,
    nextAttemptAt: iso(e.nextAttemptAt),
    lastError: e.lastError,
    result: e.result,
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

export function entryToLine(e: OutboxEntry): string {
  const wait = e.dependsOn !== null && e.state === 'pending' ? ` after #${e.dependsOn}` : '';
  const error = e.lastError ? `  ${e.lastError}` : '';
  return `#${e.id}  ${e.state.padEnd(8)} ${e.method}  attempts ${e.attempts}${wait}  next ${iso(e.nextAttemptAt)}  [${e.dedupeKey}]${error}`;
}

function parseState(value: string | undefined): OutboxState | undefined {
  if (value === undefined) return undefined;
  if (!(OUTBOX_STATES as readonly string[]).includes(value)) throw new CliFailure(`--state must be one of ${OUTBOX_STATES.join(', ')}, got "${value}"`, 2);
  return value as OutboxState;
}

/** `outbox list [--state S] [--json]`, `outbox retry ID | --all-parked`: the durable CRM writes. */
export function registerOutboxCommands(program: Command): void {
  const outbox = program.command('outbox').description('durable Bitrix24 writes: show and replay them');

  outbox
    .command('list')
    .description('list outbox entries (oldest first)')
    .option('--state <state>', `only entries in this state (${OUTBOX_STATES.join('|')})`)
    .option('--limit <n>', 'at most this many entries', '200')
    .option('--json', 'print JSON')
    .action(async (opts: { state?: string; limit: string; json?: boolean }) => {
      const state = parseState(opts.state);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliFailure(`--limit must be a positive integer, got "${opts.limit}"`, 2);
      await withDb(async (db) => {
        const repo = new OutboxRepository(db);
        const entries = await repo.list({ state, limit });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(entries.map(entryToJson), null, 2)}\n`);
          return;
        }
        const counts = await repo.counts();
        process.stdout.write(`outbox: ${counts.pending} pending, ${counts.inflight} in flight, ${counts.done} done, ${counts.parked} parked\n`);
        for (const e of entries) process.stdout.write(`${entryToLine(e)}\n`);
      });
    });

  outbox
    .command('retry')
    .description('replay a parked entry (or every parked entry): pending now, attempts reset')
    .argument('[id]', 'outbox entry id')
    .option('--all-parked', 'replay every parked entry')
    .action(async (id: string | undefined, opts: { allParked?: boolean }) => {
      if ((id === undefined) === !opts.allParked) throw new CliFailure('give an entry ID or --all-parked (not both)', 2);
      if (id !== undefined && !/^\d+$/.test(id)) throw new CliFailure(`entry ID must be a number, got "${id}"`, 2);
      await withDb(async (db) => {
        const repo = new OutboxRepository(db);
        const now = Date.now();
        if (opts.allParked) {
          const n = await repo.retryAllParked(now);
          process.stdout.write(`${n} parked ${n === 1 ? 'entry' : 'entries'} queued again\n`);
          return;
        }
        const entry = await repo.get(Number(id));
        if (!entry) throw new CliFailure(`outbox entry #${id} does not exist`);
        if (entry.state !== 'parked') throw new CliFailure(`outbox entry #${id} is ${entry.state}, not parked: nothing to retry`);
        await repo.retry(entry.id, now);
        process.stdout.write(`entry #${entry.id} (${entry.method}) queued again\n`);
      });
    });
}
