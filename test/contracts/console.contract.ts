import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { ConsoleAccountsRepository, ConsoleAuditRepository } from '../../src/adapters/db/repositories/console-repository.ts';
import { ConsoleQueriesRepository } from '../../src/adapters/db/repositories/console-queries-repository.ts';

const T0 = 1_800_000_000_000;

async function insertCall(db: Db, id: string, number: string, o: { userId?: string; status?: string | null; refusal?: string; trunk?: string; startedAt?: number } = {}): Promise<void> {
  await db('calls').insert({
    id, origin: 'phone', user_id: o.userId ?? '1', number, number_e164: number, state: 'ended', status_code: o.status ?? null,
    refusal_code: o.refusal ?? null, trunk_id: o.trunk ?? null, started_at: o.startedAt ?? T0, crm_handoff: 'none', updated_at: T0,
  });
}

/** Console accounts, sessions, audit and the call-log queries, run on SQLite and on PostgreSQL. */
export function consoleContract(name: string, open: () => Promise<{ db: Db; close(): Promise<void> }>): void {
  describe(`console repositories (${name})`, () => {
    let handle: { db: Db; close(): Promise<void> } | null = null;

    beforeEach(async () => {
      handle ??= await open();
      for (const t of ['console_audit', 'console_sessions', 'console_users', 'call_attempts', 'calls', 'crm_outbox']) await handle.db(t).delete();
    });
    afterAll(async () => {
      await handle?.close();
    });

    it('keeps accounts; a new password ends the account\'s sessions; expired sessions are not found', async () => {
      const repo = new ConsoleAccountsRepository(handle!.db);
      expect(await repo.saveUser({ name: 'anna', role: 'admin', passwordHash: 'h1' }, T0)).toBe('created');
      await repo.create({ tokenHash: 'a'.repeat(64), userName: 'anna', csrfToken: 'csrf-1', createdAt: T0, expiresAt: T0 + 1000 });
      await repo.create({ tokenHash: 'b'.repeat(64), userName: 'anna', csrfToken: 'csrf-2', createdAt: T0, expiresAt: T0 + 10 });
      expect(await repo.find('a'.repeat(64), T0 + 500)).toEqual({ user: { name: 'anna', role: 'admin' }, csrfToken: 'csrf-1' });
      expect(await repo.find('b'.repeat(64), T0 + 500)).toBeNull();
      expect(await repo.removeExpired(T0 + 500)).toBe(1);
      expect(await repo.saveUser({ name: 'anna', role: 'viewer', passwordHash: 'h2' }, T0 + 1)).toBe('updated');
      expect(await repo.find('a'.repeat(64), T0 + 500)).toBeNull();
      expect(await repo.findUser('anna')).toEqual({ name: 'anna', role: 'viewer', passwordHash: 'h2' });
      expect(await repo.listUsers()).toEqual([{ name: 'anna', role: 'viewer' }]);
    });

    it('the audit log lists the newest entry first', async () => {
      const audit = new ConsoleAuditRepository(handle!.db);
      await audit.record({ at: T0, userName: 'anna', action: 'sign-in', target: null, detail: null });
      await audit.record({ at: T0 + 1, userName: 'anna', action: 'outbox-retry', target: 'outbox #3', detail: null });
      expect((await audit.list(10)).map((e) => [e.at, e.action, e.target])).toEqual([[T0 + 1, 'outbox-retry', 'outbox #3'], [T0, 'sign-in', null]]);
    });

    it('searches calls by digits (taken literally), user, outcome and date; counts them per outcome, trunk and user', async () => {
      const q = new ConsoleQueriesRepository(handle!.db);
      await insertCall(handle!.db, 'c1', '+79261234567', { status: '200', trunk: 'gsm-mts' });
      await insertCall(handle!.db, 'c2', '+74951234567', { userId: '2', status: '486', trunk: 'sip-a', startedAt: T0 + 10 });
      await insertCall(handle!.db, 'c3', '+79031112233', { refusal: 'NO_POLICY', startedAt: T0 - 10 });
      const ids = async (s: Parameters<ConsoleQueriesRepository['search']>[0]): Promise<string[]> => (await q.search(s)).map((c) => c.id);
      expect(await ids({ numberDigits: ['926123'], limit: 10 })).toEqual(['c1']);
      expect(await ids({ numberDigits: ['8926', '7926'], limit: 10 })).toEqual(['c1']);
      expect(await ids({ numberDigits: ['%'], limit: 10 })).toEqual([]);
      expect(await ids({ user: '2', limit: 10 })).toEqual(['c2']);
      expect(await ids({ outcome: 'refused', limit: 10 })).toEqual(['c3']);
      expect(await ids({ from: T0, to: T0 + 5, limit: 10 })).toEqual(['c1']);
      expect(await ids({ limit: 2 })).toEqual(['c2', 'c1']);
      const rows = await q.countSince(T0);
      expect(rows.sort((a, b) => a.outcome.localeCompare(b.outcome))).toEqual([
        { outcome: '200', trunkId: 'gsm-mts', userId: '1', calls: 1 },
        { outcome: '486', trunkId: 'sip-a', userId: '2', calls: 1 },
      ]);
      expect((await q.find('c2'))?.number).toBe('+74951234567');
    });

    it('lists parked CRM writes and retries one; a call\'s writes are found by their keys', async () => {
      const db = handle!.db;
      await db('crm_outbox').insert([
        { dedupe_key: 'finish:X', method: 'telephony.externalcall.finish', params: '{}', state: 'parked', attempts: 12, next_attempt_at: 0, last_error: 'boom', created_at: T0, updated_at: T0 },
        { dedupe_key: 'attach:X', method: 'telephony.externalcall.attachRecord', params: '{}', state: 'done', attempts: 1, next_attempt_at: 0, created_at: T0, updated_at: T0 },
      ]);
      const q = new ConsoleQueriesRepository(db);
      const parked = await q.parked(10);
      expect(parked.map((p) => [p.dedupeKey, p.lastError])).toEqual([['finish:X', 'boom']]);
      expect((await q.crmWrites(['finish:X', 'attach:X', 'none'])).map((w) => w.method)).toEqual(['telephony.externalcall.finish', 'telephony.externalcall.attachRecord']);
      expect(await q.retry(parked[0]!.id, T0 + 1)).toBe(true);
      expect(await q.retry(parked[0]!.id, T0 + 2)).toBe(false);
      expect(await q.counts()).toMatchObject({ pending: 1, done: 1, parked: 0 });
    });
  });
}
