import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateLatest, openDb, type Db } from '../../src/adapters/db/connection.ts';
import { OutboxRepository } from '../../src/adapters/db/repositories/outbox-repository.ts';
import type { B24Gateway, BatchCommand, BatchOutcome, RestOutcome } from '../../src/adapters/bitrix24/gateway.ts';
import { OutboxWorker } from '../../src/app/crm/outbox-worker.ts';
import { RequestRateLimiter } from '../../src/app/crm/rate-limiter.ts';
import type { CrmClock } from '../../src/app/crm/clock.ts';
import { TEST_PG_URL } from '../support/db.ts';

const T0 = 1_800_000_000_000;
const clock: CrmClock = { now: () => T0, sleep: () => new Promise((r) => setImmediate(r)) };

/** A portal that remembers every entry it received (by the `n` param) and answers slowly enough to interleave. */
class CountingPortal implements B24Gateway {
  readonly sent: number[] = [];
  private async answer(params: Readonly<Record<string, unknown>>): Promise<RestOutcome> {
    this.sent.push(Number(params.n));
    return { ok: true, result: true, more: false, total: 0 };
  }
  async call(_method: string, params: Readonly<Record<string, unknown>> = {}): Promise<RestOutcome> {
    await new Promise((r) => setTimeout(r, 1));
    return this.answer(params);
  }
  async batch(commands: readonly BatchCommand[]): Promise<BatchOutcome> {
    await new Promise((r) => setTimeout(r, 1));
    const results = new Map<string, RestOutcome>();
    for (const c of commands) results.set(c.key, await this.answer(c.params));
    return { ok: true, results };
  }
}

function worker(db: Db, gateway: B24Gateway, owner: string): OutboxWorker {
  return new OutboxWorker({
    repo: new OutboxRepository(db), gateway, clock, owner, batchSize: 7,
    limiter: new RequestRateLimiter(clock, 1_000_000, 1_000_000), recordings: null, maxAttempts: 5,
  });
}

// Two connector instances = two processes with their own connection pools on one database.
describe('outbox on PostgreSQL: two instances draining one table', () => {
  let a: Db;
  let b: Db;

  beforeAll(async () => {
    a = openDb({ url: TEST_PG_URL });
    b = openDb({ url: TEST_PG_URL });
    await migrateLatest(a);
  });
  beforeEach(async () => {
    await a('crm_outbox').delete();
  });
  afterAll(async () => {
    await a.destroy();
    await b.destroy();
  });

  it('never sends the same entry from both instances; every entry is sent once and marked done', async () => {
    const repo = new OutboxRepository(a);
    const total = 300;
    for (let n = 0; n < total; n++) await repo.enqueue({ dedupeKey: `hide:${n}`, method: 'telephony.externalcall.hide', params: { n } }, T0);
    const portalA = new CountingPortal();
    const portalB = new CountingPortal();
    const [ra, rb] = await Promise.all([worker(a, portalA, 'instance-a').drainUntilIdle(), worker(b, portalB, 'instance-b').drainUntilIdle()]);
    const all = [...portalA.sent, ...portalB.sent];
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    // Both really worked (the test would prove nothing if one instance took everything).
    expect(portalA.sent.length).toBeGreaterThan(0);
    expect(portalB.sent.length).toBeGreaterThan(0);
    expect(ra.done + rb.done).toBe(total);
    expect(await repo.counts()).toEqual({ pending: 0, inflight: 0, done: total, parked: 0 });
  });
});
