import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import type { B24Gateway, BatchCommand, BatchOutcome, RestOutcome } from '../../src/adapters/bitrix24/gateway.ts';
import { OutboxRepository } from '../../src/adapters/db/repositories/outbox-repository.ts';
import type { CrmClock } from '../../src/app/crm/clock.ts';
import { enqueuePlans } from '../../src/app/crm/enqueue-plan.ts';
import { OutboxWorker } from '../../src/app/crm/outbox-worker.ts';
import { RequestRateLimiter } from '../../src/app/crm/rate-limiter.ts';

const T0 = 1_800_000_000_000;
const clock: CrmClock = { now: () => T0, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * A portal that logs every write it receives and answers (a register with its CALL_ID), one
 * after another. It holds its first answer until a second request arrives: rounds really overlap.
 */
class OverlapPortal implements B24Gateway {
  readonly log: { seq: number; what: 'sent' | 'answered'; method: string; n: number; callId?: unknown }[] = [];
  maxOutstanding = 0;
  private seq = 0;
  private outstanding = 0;
  private requests = 0;
  private secondArrived: () => void = () => undefined;
  private readonly second = new Promise<void>((r) => {
    this.secondArrived = r;
  });
  private allAnswered: () => void = () => undefined;
  readonly answered: Promise<void>;

  constructor(private readonly total: number) {
    this.answered = new Promise((r) => {
      this.allAnswered = r;
    });
  }

  private async request(commands: readonly { method: string; params: Readonly<Record<string, unknown>> }[]): Promise<RestOutcome[]> {
    this.requests += 1;
    this.outstanding += 1;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    for (const c of commands) this.log.push({ seq: this.seq++, what: 'sent', method: c.method, n: Number(c.params.N), callId: c.params.CALL_ID });
    if (this.requests === 1) await this.second;
    else this.secondArrived();
    await new Promise((r) => setImmediate(r));
    this.outstanding -= 1;
    const outcomes = commands.map((c): RestOutcome => {
      this.log.push({ seq: this.seq++, what: 'answered', method: c.method, n: Number(c.params.N) });
      return { ok: true, result: c.method === 'register' ? { CALL_ID: `call-${String(c.params.N)}` } : true, more: false, total: 0 };
    });
    if (this.log.filter((l) => l.what === 'answered').length >= this.total) this.allAnswered();
    return outcomes;
  }

  async call(method: string, params: Readonly<Record<string, unknown>> = {}): Promise<RestOutcome> {
    return (await this.request([{ method, params }]))[0] as RestOutcome;
  }

  async batch(commands: readonly BatchCommand[]): Promise<BatchOutcome> {
    const outcomes = await this.request(commands);
    return { ok: true, results: new Map(commands.map((c, i) => [c.key, outcomes[i] as RestOutcome])) };
  }
}

/** The worker's overlapping rounds on one database, run on SQLite and on PostgreSQL. */
export function outboxRoundsContract(name: string, open: () => Promise<{ db: Db; close(): Promise<void> }>): void {
  describe(`outbox worker, rounds in flight (${name})`, () => {
    let handle: { db: Db; close(): Promise<void> } | null = null;
    afterAll(async () => {
      await handle?.close();
    });

    it('sends every write once and a finish only after its register was answered, with its CALL_ID', async () => {
      handle ??= await open();
      await handle.db('crm_outbox').delete();
      const repo = new OutboxRepository(handle.db);
      const calls = 40;
      // One call at a time: each finish sits right behind its register, in the same claim's reach.
      for (let n = 0; n < calls; n++) {
        await enqueuePlans(repo, [[
          { key: `register:${n}`, method: 'register', params: { N: n } },
          { key: `finish:${n}`, method: 'finish', params: { N: n }, after: `register:${n}`, inject: { CALL_ID: 'CALL_ID' } },
          { key: `record:${n}`, method: 'attachRecord', params: { N: n, CALL_ID: `call-${n}` }, after: `finish:${n}` },
        ]], T0);
      }
      const portal = new OverlapPortal(calls * 3);
      const worker = new OutboxWorker({
        repo, gateway: portal, clock, owner: 'w', batchSize: 7, roundsInFlight: 3,
        limiter: new RequestRateLimiter(clock, 1_000_000, 1_000_000), recordings: null, maxAttempts: 5,
      });
      worker.start(50);
      await portal.answered;
      await worker.stop();

      expect(portal.maxOutstanding).toBeGreaterThan(1);
      const sent = portal.log.filter((l) => l.what === 'sent');
      expect(sent).toHaveLength(calls * 3);
      expect(new Set(sent.map((l) => `${l.method}:${l.n}`)).size).toBe(calls * 3);
      const at = (what: 'sent' | 'answered', method: string, n: number) => portal.log.find((l) => l.what === what && l.method === method && l.n === n)?.seq ?? -1;
      for (let n = 0; n < calls; n++) {
        expect(at('sent', 'finish', n)).toBeGreaterThan(at('answered', 'register', n));
        expect(at('sent', 'attachRecord', n)).toBeGreaterThan(at('answered', 'finish', n));
        expect(sent.find((l) => l.n === n && l.method === 'finish')?.callId).toBe(`call-${n}`);
      }
      expect(await repo.counts()).toEqual({ pending: 0, inflight: 0, done: calls * 3, parked: 0 });
    });
  });
}
