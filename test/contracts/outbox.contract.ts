import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isSqlite, type Db } from '../../src/adapters/db/connection.ts';
import { migrationSource } from '../../src/adapters/db/migrations/index.ts';
import { LEASE_EXPIRED, OutboxRepository } from '../../src/adapters/db/repositories/outbox-repository.ts';
import { enqueuePlans } from '../../src/app/crm/enqueue-plan.ts';

const T0 = 1_800_000_000_000;

/** The outbox repository's behaviour, run on SQLite and on PostgreSQL. */
export function outboxContract(name: string, open: () => Promise<{ db: Db; close(): Promise<void> }>): void {
  describe(`outbox repository (${name})`, () => {
    let handle: { db: Db; close(): Promise<void> } | null = null;
    let repo: OutboxRepository;

    beforeEach(async () => {
      handle ??= await open();
      await handle.db('crm_outbox').delete();
      repo = new OutboxRepository(handle.db);
    });
    afterAll(async () => {
      await handle?.close();
    });

    it('enqueues once per dedupe key and keeps params as JSON', async () => {
      const a = await repo.enqueue({ dedupeKey: 'finish:1', method: 'telephony.externalcall.finish', params: { CALL_ID: 'x', DURATION: 5, nested: { a: [1, 2] } } }, T0);
      const b = await repo.enqueue({ dedupeKey: 'finish:1', method: 'telephony.externalcall.finish', params: { CALL_ID: 'other' } }, T0 + 1);
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.id).toBe(a.id);
      const e = await repo.get(a.id);
      expect(e?.params).toEqual({ CALL_ID: 'x', DURATION: 5, nested: { a: [1, 2] } });
      expect(e?.state).toBe('pending');
      expect(typeof e?.id).toBe('number');
      expect(e?.nextAttemptAt).toBe(T0);
    });

    it('enqueues the writes of several call records with one insert per dependency level', async () => {
      const plan = (n: number) => [
        { key: `register:${n}`, method: 'telephony.externalcall.register', params: { N: n } },
        { key: `finish:${n}`, method: 'telephony.externalcall.finish', params: { N: n }, after: `register:${n}`, inject: { CALL_ID: 'CALL_ID' } },
        { key: `record:${n}`, method: 'telephony.externalcall.attachRecord', params: { N: n }, after: `finish:${n}` },
      ];
      const before = await repo.enqueue({ dedupeKey: 'register:2', method: 'telephony.externalcall.register', params: { N: 'earlier' } }, T0);
      const statements: string[] = [];
      const onQuery = (q: { sql: string }) => statements.push(q.sql);
      handle!.db.on('query', onQuery);
      const ids = await enqueuePlans(repo, [plan(1), plan(2), [{ key: 'finish:solo', method: 'telephony.externalcall.finish', params: {} }]], T0);
      handle!.db.off('query', onQuery);
      // Three levels, plus one read for the key that existed already.
      expect(statements.filter((s) => /^insert/i.test(s))).toHaveLength(3);
      expect(ids.map((l) => l.length)).toEqual([3, 3, 1]);
      expect(ids[1]?.[0]).toBe(before.id);
      const finish2 = await repo.get(ids[1]?.[1] as number);
      expect([finish2?.dependsOn, finish2?.inject]).toEqual([before.id, { CALL_ID: 'CALL_ID' }]);
      expect((await repo.get(ids[0]?.[2] as number))?.dependsOn).toBe(ids[0]?.[1]);
      expect((await repo.get(before.id))?.params).toEqual({ N: 'earlier' });
      // Enqueued again (a repeated hand-off): the same ids, nothing new.
      expect(await enqueuePlans(repo, [plan(1)], T0 + 1)).toEqual([ids[0]]);
      expect((await repo.counts()).pending).toBe(7);
    });

    it('claims due entries only, and never the same entry twice while its lease runs', async () => {
      const due = await repo.enqueue({ dedupeKey: 'a', method: 'm', params: {} }, T0);
      await repo.enqueue({ dedupeKey: 'later', method: 'm', params: {} }, T0 + 60_000);
      const first = await repo.claimDue(T0 + 10, 10, 'w1', 1000);
      expect(first.map((e) => e.id)).toEqual([due.id]);
      expect(first[0]?.state).toBe('inflight');
      expect(await repo.claimDue(T0 + 20, 10, 'w2', 1000)).toEqual([]);
      // The lease expired (worker w1 died): w2 may take it over; w1 can no longer settle it.
      const taken = await repo.claimDue(T0 + 2000, 10, 'w2', 1000);
      expect(taken.map((e) => e.id)).toEqual([due.id]);
      // w1's send counts as an attempt that may have landed.
      expect([taken[0]?.attempts, taken[0]?.lastError]).toEqual([1, LEASE_EXPIRED]);
      expect(await repo.markDone(due.id, { ok: 1 }, T0 + 2001, 'w1')).toBe(false);
      expect(await repo.markDone(due.id, { ok: 1 }, T0 + 2001, 'w2')).toBe(true);
    });

    it('marks several claimed entries done in one go, each with its own result, only under its own claim', async () => {
      const a = await repo.enqueue({ dedupeKey: 'a', method: 'm', params: {} }, T0);
      const b = await repo.enqueue({ dedupeKey: 'b', method: 'm', params: {} }, T0);
      const c = await repo.enqueue({ dedupeKey: 'c', method: 'm', params: {} }, T0);
      await repo.claimDue(T0, 2, 'w1', 1000);
      await repo.claimDue(T0, 10, 'w2', 1000);
      await repo.markDoneMany([{ id: a.id, result: { CALL_ID: 'x' } }, { id: b.id, result: [1, 2] }, { id: c.id, result: 'not mine' }], T0 + 1, 'w1');
      expect([(await repo.get(a.id))?.result, (await repo.get(b.id))?.result]).toEqual([{ CALL_ID: 'x' }, [1, 2]]);
      expect([(await repo.get(a.id))?.state, (await repo.get(b.id))?.state, (await repo.get(c.id))?.state]).toEqual(['done', 'done', 'inflight']);
    });

    it('records one failed attempt for several claimed entries in one go, only under its own claim', async () => {
      const a = await repo.enqueue({ dedupeKey: 'a', method: 'm', params: {} }, T0);
      const b = await repo.enqueue({ dedupeKey: 'b', method: 'm', params: {} }, T0);
      const c = await repo.enqueue({ dedupeKey: 'c', method: 'm', params: {} }, T0);
      await repo.claimDue(T0, 2, 'w1', 1000);
      await repo.claimDue(T0, 10, 'w2', 1000);
      await repo.markFailedMany([a.id, b.id, c.id], { error: 'SERVICE_UNAVAILABLE (HTTP 503)', park: false, nextAttemptAt: T0 + 2000 }, T0 + 1, 'w1');
      const [ea, eb, ec] = [await repo.get(a.id), await repo.get(b.id), await repo.get(c.id)];
      expect([ea, eb].map((e) => [e?.state, e?.attempts, e?.nextAttemptAt, e?.lastError])).toEqual(Array(2).fill(['pending', 1, T0 + 2000, 'SERVICE_UNAVAILABLE (HTTP 503)']));
      expect([ec?.state, ec?.attempts]).toEqual(['inflight', 0]);
    });

    it('holds a dependent entry until its predecessor is done, then hands it the result', async () => {
      const reg = await repo.enqueue({ dedupeKey: 'reg', method: 'register', params: {} }, T0);
      const fin = await repo.enqueue({ dedupeKey: 'fin', method: 'finish', params: { DURATION: 1 }, dependsOn: reg.id, inject: { CALL_ID: 'CALL_ID' } }, T0);
      const round1 = await repo.claimDue(T0, 10, 'w', 1000);
      expect(round1.map((e) => e.id)).toEqual([reg.id]);
      await repo.markFailed(reg.id, { error: 'NETWORK_ERROR: down', park: false, nextAttemptAt: T0 + 5 }, T0, 'w');
      expect((await repo.claimDue(T0 + 1, 10, 'w', 1000)).map((e) => e.id)).toEqual([]);
      const round2 = await repo.claimDue(T0 + 5, 10, 'w', 1000);
      expect(round2.map((e) => e.id)).toEqual([reg.id]);
      await repo.markDone(reg.id, { CALL_ID: 'externalCall.abc.1' }, T0 + 6, 'w');
      const round3 = await repo.claimDue(T0 + 7, 10, 'w', 1000);
      expect(round3.map((e) => e.id)).toEqual([fin.id]);
      expect(round3[0]?.dependencyResult).toEqual({ CALL_ID: 'externalCall.abc.1' });
      expect(round3[0]?.inject).toEqual({ CALL_ID: 'CALL_ID' });
    });

    it('counts attempts, parks with the reason, and replays parked entries', async () => {
      const a = await repo.enqueue({ dedupeKey: 'a', method: 'm', params: {} }, T0);
      const b = await repo.enqueue({ dedupeKey: 'b', method: 'm', params: {} }, T0);
      await repo.claimDue(T0, 10, 'w', 1000);
      await repo.markFailed(a.id, { error: 'ERROR_CORE (HTTP 400): Unknown TYPE', park: true, nextAttemptAt: T0 }, T0, 'w');
      await repo.markFailed(b.id, { error: 'QUERY_LIMIT_EXCEEDED (HTTP 503): Too many requests', park: false, nextAttemptAt: T0 + 100 }, T0, 'w');
      const parked = await repo.list({ state: 'parked' });
      expect(parked.map((e) => [e.id, e.attempts, e.lastError])).toEqual([[a.id, 1, 'ERROR_CORE (HTTP 400): Unknown TYPE']]);
      expect((await repo.get(b.id))?.attempts).toBe(1);
      expect(await repo.counts()).toEqual({ pending: 1, inflight: 0, done: 0, parked: 1 });
      expect(await repo.retry(b.id, T0)).toBe(false);
      expect(await repo.retry(a.id, T0 + 50)).toBe(true);
      const replayed = await repo.get(a.id);
      expect([replayed?.state, replayed?.attempts, replayed?.nextAttemptAt]).toEqual(['pending', 0, T0 + 50]);
      await repo.claimDue(T0 + 100, 10, 'w', 1000);
      await repo.markFailed(a.id, { error: 'x', park: true, nextAttemptAt: T0 }, T0, 'w');
      await repo.markFailed(b.id, { error: 'y', park: true, nextAttemptAt: T0 }, T0, 'w');
      expect(await repo.retryAllParked(T0 + 200)).toBe(2);
    });

    it('gives every entry to exactly one of several concurrent claimers', async () => {
      for (let i = 0; i < 30; i++) await repo.enqueue({ dedupeKey: `k${i}`, method: 'm', params: { i } }, T0);
      const claims = await Promise.all(['w1', 'w2', 'w3'].map((w) => repo.claimDue(T0, 12, w, 10_000)));
      const ids = claims.flat().map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(30);
    });

    it('rolls back the index of open entries (migration 023) and builds it again, the claim working after', async () => {
      const db = handle!.db;
      const hasIndex = async () => (isSqlite(db)
        ? (await db('sqlite_master').where({ type: 'index', name: 'crm_outbox_open' })).length
        : (await db('pg_indexes').where({ indexname: 'crm_outbox_open' })).length) === 1;
      const a = await repo.enqueue({ dedupeKey: 'a', method: 'm', params: {} }, T0);
      await db.migrate.down({ migrationSource, name: '023_outbox_open' });
      expect(await hasIndex()).toBe(false);
      await db.migrate.up({ migrationSource, name: '023_outbox_open' });
      expect(await hasIndex()).toBe(true);
      expect((await repo.claimDue(T0, 10, 'w', 1000)).map((e) => e.id)).toEqual([a.id]);
    });
  });
}
