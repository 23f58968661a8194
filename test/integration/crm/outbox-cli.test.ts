import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRepository } from '../../../src/adapters/db/repositories/outbox-repository.ts';
import { tempSqliteDb } from '../../support/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function cli(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('npx b24pbx outbox list / retry', () => {
  let handle: Awaited<ReturnType<typeof tempSqliteDb>>;
  let parkedId = 0;

  beforeAll(async () => {
    handle = await tempSqliteDb();
    const repo = new OutboxRepository(handle.db);
    const now = Date.UTC(2026, 10, 23, 10);
    const a = await repo.enqueue({ dedupeKey: 'desk:1:register', method: 'telephony.externalcall.register', params: { TYPE: 1 } }, now);
    await repo.enqueue({ dedupeKey: 'finish:externalCall.x.1', method: 'telephony.externalcall.finish', params: { CALL_ID: 'externalCall.x.1' } }, now);
    await repo.claimDue(now, 1, 'w', 1000);
    await repo.markFailed(a.id, { error: 'ERROR_CORE (HTTP 400): Unknown TYPE', park: true, nextAttemptAt: now }, now, 'w');
    parkedId = a.id;
    // The CLI opens its own connection: release ours (SQLite keeps one writer).
    await handle.db.destroy();
  });
  afterAll(async () => {
    await handle.close().catch(() => undefined);
  });

  it('lists parked entries with their reason, as JSON', async () => {
    const res = await cli(['outbox', 'list', '--state', 'parked', '--json'], handle.url);
    expect(res.code).toBe(0);
    const rows = JSON.parse(res.stdout) as { id: number; state: string; lastError: string; method: string }[];
    expect(rows).toEqual([expect.objectContaining({ id: parkedId, state: 'parked', method: 'telephony.externalcall.register', lastError: 'ERROR_CORE (HTTP 400): Unknown TYPE' })]);
  });

  it('refuses a bad state (usage, exit 2) and a retry of an entry that is not parked (exit 1)', async () => {
    expect((await cli(['outbox', 'list', '--state', 'stuck'], handle.url)).code).toBe(2);
    const notParked = await cli(['outbox', 'retry', String(parkedId + 1)], handle.url);
    expect(notParked.code).toBe(1);
    expect(notParked.stderr).toContain('not parked');
  });

  it('replays a parked entry, then shows it pending again', async () => {
    const res = await cli(['outbox', 'retry', String(parkedId)], handle.url);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`entry #${parkedId}`);
    const list = await cli(['outbox', 'list'], handle.url);
    expect(list.stdout).toMatch(/^outbox: 2 pending, 0 in flight, 0 done, 0 parked/);
    expect(list.stdout).toContain(`#${parkedId}  pending`);
  });
});
