import { afterEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { CallRecordHandoff, type EndedCallsSource } from '../../../src/app/crm/call-record-handoff.ts';
import { callRecord, tempRecordings } from './fixtures.ts';
import { crmHarness, type Harness } from './harness.ts';

/** The tracker's durable hand-off, in memory: pending records, marked done inside our transaction. */
class MemoryEndedCalls implements EndedCallsSource<Knex.Transaction> {
  readonly pending: CallRecord[] = [];
  readonly done: string[] = [];
  async listPending(limit: number): Promise<CallRecord[]> {
    return this.pending.filter((r) => !this.done.includes(r.callId)).slice(0, limit);
  }
  async markDone(callId: string, trx: Knex.Transaction): Promise<void> {
    await trx.raw('select 1');
    this.done.push(callId);
  }
}

let h: Harness;
const rec = tempRecordings();
let source: MemoryEndedCalls;
let handoff: CallRecordHandoff<Knex.Transaction>;

async function setup(opts: Parameters<typeof crmHarness>[0] = {}): Promise<void> {
  h = await crmHarness({ recordingsDir: rec.dir, ...opts });
  source = new MemoryEndedCalls();
  handoff = new CallRecordHandoff({ transaction: (work) => h.db.transaction(work), source, outbox: h.outbox, rules: h.rules, clock: h.clock });
}

afterEach(async () => {
  await h.close();
});

/** Drains; after failures lets the backoff pass, until nothing is pending. */
async function drainAll(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await h.worker.drainUntilIdle();
    const counts = await h.outbox.counts();
    if (counts.pending === 0 && counts.inflight === 0) return;
    h.clock.advance(30 * 60_000);
  }
}

describe('call records of desk-phone calls', () => {
  it('registers (TYPE 1, EXTERNAL_CALL_ID = Linkedid), finishes, attaches the recording — in that order', async () => {
    await setup();
    source.pending.push(callRecord({ linkedid: '1732356000.7', extension: '100', recording: rec.file, statusCode: '200', durationSec: 62, cost: 3 }));
    expect(await handoff.drainPending()).toBe(3);
    expect(source.done).toHaveLength(1);
    await drainAll();
    const methods = h.double.received.filter((r) => r.status === 200 && r.method !== 'batch').map((r) => r.method);
    expect(methods).toEqual(['telephony.externalcall.register', 'telephony.externalcall.finish', 'telephony.externalcall.attachRecord']);
    const calls = [...h.double.state.calls.values()];
    expect(calls).toHaveLength(1);
    const call = calls[0];
    expect(call).toMatchObject({ EXTERNAL_CALL_ID: '1732356000.7', USER_ID: '1', TYPE: 1, LINE_NUMBER: '101', PHONE_NUMBER: '+79261234567' });
    expect(call?.finished).toMatchObject({ CALL_ID: call?.CALL_ID, STATUS_CODE: '200', DURATION: 62, COST: 3, COST_CURRENCY: 'RUB' });
    expect(call?.records).toEqual([{ FILE_ID: expect.any(Number), FILENAME: 'call-1.wav', source: 'content', bytes: rec.bytes.length }]);
    // FILE_CONTENT never travels inside a batch.
    expect(h.double.received.filter((r) => r.viaBatch && 'FILE_CONTENT' in r.params)).toEqual([]);
  });

  it('attaches the recording as an expiring signed RECORD_URL when configured', async () => {
    await setup({ recordUrlSecret: '0123456789abcdef-secret' });
    source.pending.push(callRecord({ recording: rec.file }));
    await handoff.drainPending();
    await drainAll();
    const record = [...h.double.state.calls.values()][0]?.records[0];
    expect(record?.source).toBe('url');
    expect(record?.url).toMatch(/^https:\/\/pbx\.example\.com\/recordings\/2026%2F11%2F23%2Fcall-1\.wav\?exp=\d+&sig=[0-9a-f]{64}$/);
  });

  it('writes nothing for an excluded number or a user off the whitelist, and still completes the hand-off', async () => {
    await setup();
    source.pending.push(callRecord({ number: '+74950001122' }), callRecord({ extension: '109' }));
    expect(await handoff.drainPending()).toBe(0);
    expect(source.done).toHaveLength(2);
    expect(await h.outbox.list()).toEqual([]);
  });

  it('hands each call off once, even when drained twice', async () => {
    await setup();
    const r = callRecord({});
    source.pending.push(r);
    await handoff.drainPending();
    await handoff.handOff(r); // a repeated hand-off (e.g. a crash before markDone was seen)
    expect(await h.outbox.list()).toHaveLength(2);
  });

  it('calls the tracker has just closed are handed off as given, without reading the pending list; calls closed together share one transaction', async () => {
    await setup();
    let reads = 0;
    const listPending = source.listPending.bind(source);
    source.listPending = async (limit) => {
      reads += 1;
      return listPending(limit);
    };
    const records = [callRecord({ linkedid: '1732356000.1' }), callRecord({ linkedid: '1732356000.2' }), callRecord({ linkedid: '1732356000.3' })];
    source.pending.push(...records);
    let transactions = 0;
    handoff = new CallRecordHandoff({
      transaction: (work) => {
        transactions += 1;
        return h.db.transaction(work);
      },
      source, outbox: h.outbox, rules: h.rules, clock: h.clock,
    });
    await Promise.all(records.map((r) => handoff.takeClosed(r)));
    expect(reads).toBe(0);
    expect(transactions).toBe(1);
    expect(source.done).toEqual(records.map((r) => r.callId));
    expect(await h.outbox.list()).toHaveLength(6);
    // The sweep finds nothing left and repeats nothing.
    expect(await handoff.drainPending()).toBe(0);
    expect(await h.outbox.list()).toHaveLength(6);
  });

  it('a closed call whose hand-off fails stays pending, and the sweep hands it off once', async () => {
    await setup();
    const r = callRecord({});
    source.pending.push(r);
    const markDone = source.markDone.bind(source);
    let failing = true;
    source.markDone = async (callId, trx) => {
      if (failing) throw new Error('database locked');
      return markDone(callId, trx);
    };
    await expect(handoff.takeClosed(r)).rejects.toThrow('database locked');
    expect(source.done).toEqual([]);
    expect(await h.outbox.list()).toEqual([]);
    failing = false;
    expect(await handoff.drainPending()).toBe(2);
    expect(source.done).toEqual([r.callId]);
  });
});

describe('durability', () => {
  it('Bitrix24 down while the call ends: the record arrives after recovery, exactly once', async () => {
    await setup();
    await h.double.setOutage('refuse');
    source.pending.push(callRecord({ linkedid: '1732356000.9', recording: rec.file }));
    await handoff.drainPending();
    for (let i = 0; i < 3; i++) {
      await h.worker.drainUntilIdle();
      h.clock.advance(60_000);
    }
    const waiting = await h.outbox.list();
    expect(waiting.map((e) => e.state)).toEqual(['pending', 'pending', 'pending']);
    expect(waiting[0]?.attempts).toBeGreaterThanOrEqual(2);
    expect(waiting[0]?.lastError).toMatch(/^(ECONNREFUSED|ECONNRESET)/);
    await h.double.setOutage('none');
    await drainAll();
    expect((await h.outbox.list()).map((e) => e.state)).toEqual(['done', 'done', 'done']);
    expect(h.double.state.calls.size).toBe(1);
    expect(h.double.callsOf('telephony.externalcall.register').filter((r) => r.status === 200)).toHaveLength(1);
    expect(h.double.callsOf('telephony.externalcall.attachRecord').filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('a portal answering 503 QUERY_LIMIT_EXCEEDED (bucket shared with other apps): retried until it fits', async () => {
    await setup({ double: { rateLimit: { burst: 2, drainPerSecond: 2 } } });
    for (let i = 0; i < 3; i++) source.pending.push(callRecord({ recording: rec.file }));
    await handoff.drainPending();
    await drainAll();
    expect((await h.outbox.list()).every((e) => e.state === 'done')).toBe(true);
    expect(h.double.received.some((r) => r.status === 503)).toBe(true);
    expect([...h.double.state.calls.values()].every((c) => c.finished !== null && c.records.length === 1)).toBe(true);
    expect(h.double.state.calls.size).toBe(3);
  });

  it('429 OPERATION_TIME_LIMIT, 503 QUERY_LIMIT_EXCEEDED and 502 through the real SDK: retried with growing backoff, then done', async () => {
    await setup();
    const call = h.double.state.registerClickToCall('1', '+79261234567');
    h.double.faults.push(
      { method: 'telephony.externalcall.finish', kind: 'error', status: 429, error: 'OPERATION_TIME_LIMIT', description: 'Method is blocked due to operation time limit.', times: 1 },
      { method: 'telephony.externalcall.finish', kind: 'error', status: 503, error: 'QUERY_LIMIT_EXCEEDED', description: 'Too many requests', times: 1 },
      { method: 'telephony.externalcall.finish', kind: 'error', status: 502, error: 'BAD_GATEWAY', description: 'Bad Gateway', times: 1 },
    );
    source.pending.push(callRecord({ crmCallId: call.CALL_ID, userId: '1', origin: 'crm' }));
    await handoff.drainPending();
    const seen: [number, string, number][] = [];
    for (let i = 0; i < 3; i++) {
      const t = h.clock.now();
      await h.worker.drainUntilIdle();
      const [e] = await h.outbox.list();
      seen.push([e?.attempts ?? -1, (e?.lastError ?? '').split(' ')[0] ?? '', (e?.nextAttemptAt ?? 0) - t]);
      h.clock.advance((e?.nextAttemptAt ?? 0) - h.clock.now());
    }
    expect(seen).toEqual([[1, 'OPERATION_TIME_LIMIT', 2000], [2, 'QUERY_LIMIT_EXCEEDED', 4000], [3, 'BAD_GATEWAY', 8000]]);
    await h.worker.drainUntilIdle();
    // One HTTP request per attempt: the SDK itself never retries a write (DECISIONS §20).
    expect(h.double.callsOf('telephony.externalcall.finish').map((r) => r.status)).toEqual([429, 503, 502, 200]);
    expect((await h.outbox.list())[0]).toMatchObject({ state: 'done', attempts: 3 });
    expect(h.double.state.calls.get(call.CALL_ID)?.finished).toMatchObject({ STATUS_CODE: '200' });
  });

  it('a permanent error parks the entry with its reason; its successors wait; a retry replays it', async () => {
    await setup();
    h.double.faults.push({ method: 'telephony.externalcall.register', kind: 'error', status: 400, error: 'ERROR_CORE', description: 'User is not found or is not active', times: 1 });
    source.pending.push(callRecord({}));
    await handoff.drainPending();
    await drainAll(3);
    const [register, finish] = await h.outbox.list();
    expect(register).toMatchObject({ state: 'parked', attempts: 1, lastError: 'ERROR_CORE (HTTP 400): User is not found or is not active' });
    expect(finish).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await h.outbox.retry(register?.id ?? 0, h.clock.now())).toBe(true);
    await drainAll();
    expect((await h.outbox.list()).map((e) => e.state)).toEqual(['done', 'done']);
    expect([...h.double.state.calls.values()][0]?.finished).toMatchObject({ STATUS_CODE: '200' });
  });

  it('parks after OUTBOX_MAX_ATTEMPTS transient failures', async () => {
    await setup({ maxAttempts: 3 });
    await h.double.setOutage('unavailable');
    source.pending.push(callRecord({}));
    await handoff.drainPending();
    await drainAll(5);
    const [register] = await h.outbox.list();
    expect(register).toMatchObject({ state: 'parked', attempts: 3 });
    expect(register?.lastError).toMatch(/^gave up after 3 attempts; last: SERVICE_UNAVAILABLE \(HTTP 503\)/);
  });

  it('a batch refused as a whole (Bitrix24 down): every entry keeps its failed attempt and is sent once it is back, none lost', async () => {
    await setup();
    await h.double.setOutage('unavailable');
    const clicks = Array.from({ length: 30 }, (_, i) => h.double.state.registerClickToCall('1', `+7926123${String(4000 + i)}`));
    for (const c of clicks) source.pending.push(callRecord({ callId: `call-${c.CALL_ID}`, crmCallId: c.CALL_ID, userId: '1', origin: 'crm', linkedid: c.CALL_ID }));
    await handoff.drainPending();
    await h.worker.drainOnce();
    const failed = await h.outbox.list();
    expect(failed).toHaveLength(30);
    expect(failed.every((e) => e.state === 'pending' && e.attempts === 1 && /SERVICE_UNAVAILABLE \(HTTP 503\).*\[an earlier attempt may have landed\]$/.test(e.lastError ?? ''))).toBe(true);
    await h.double.setOutage('none');
    await drainAll();
    expect((await h.outbox.list()).map((e) => e.state)).toEqual(Array(30).fill('done'));
    expect(clicks.every((c) => h.double.state.calls.get(c.CALL_ID)?.finished !== undefined)).toBe(true);
  });

  it('a lost finish answer stays known through later rate-limit refusals and a replay: "Call is not found" still means done', async () => {
    await setup({ timeoutMs: 300, maxAttempts: 2 });
    const call = h.double.state.registerClickToCall('1', '+79261234567');
    h.double.faults.push(
      { method: 'telephony.externalcall.finish', kind: 'process-then-hang', times: 1 },
      { method: 'telephony.externalcall.finish', kind: 'error', status: 503, error: 'QUERY_LIMIT_EXCEEDED', description: 'Too many requests', times: 1 },
    );
    source.pending.push(callRecord({ crmCallId: call.CALL_ID, userId: '1', origin: 'crm' }));
    await handoff.drainPending();
    await drainAll(3);
    // Timed out (processed by the portal), then refused by the rate limit: parked after 2 attempts,
    // still remembering that the first one may have landed.
    const [parked] = await h.outbox.list();
    expect(parked).toMatchObject({ state: 'parked', attempts: 2 });
    expect(parked?.lastError).toMatch(/^gave up after 2 attempts; last: QUERY_LIMIT_EXCEEDED .* \[an earlier attempt may have landed\]$/);
    await h.outbox.retry(parked?.id ?? 0, h.clock.now());
    await drainAll();
    expect((await h.outbox.list())[0]).toMatchObject({ state: 'done', result: { CALL_ID: call.CALL_ID, alreadyFinished: true } });
    expect(h.double.state.calls.get(call.CALL_ID)?.finished).toMatchObject({ STATUS_CODE: '200' });
  });

  it('"Call is not found" for a finish that never reached Bitrix24 is parked, not hidden as done', async () => {
    await setup();
    source.pending.push(callRecord({ crmCallId: 'externalCall.unknown.1', userId: '1', origin: 'crm' }));
    await handoff.drainPending();
    await drainAll(2);
    expect((await h.outbox.list())[0]).toMatchObject({ state: 'parked', attempts: 1, lastError: expect.stringMatching(/^ERROR_CORE \(HTTP 400\): Call is not found/) });
  });

  it('an instance that stopped between the REST call and marking done: the finish is taken over and not repeated in effect', async () => {
    await setup();
    const call = h.double.state.registerClickToCall('1', '+79261234567');
    source.pending.push(callRecord({ crmCallId: call.CALL_ID, userId: '1', origin: 'crm', statusCode: '200', durationSec: 30 }));
    await handoff.drainPending();
    // The "dead" instance claims the finish and sends it; Bitrix24 processes it; the instance
    // stops before recording the answer (the row stays in flight under its lease).
    const [claimed] = await h.outbox.claimDue(h.clock.now(), 50, 'dead-instance', 120_000);
    const gateway = h.connection.gateway();
    if (!claimed || !gateway) throw new Error('nothing claimed');
    expect(await gateway.call(claimed.method, claimed.params)).toMatchObject({ ok: true });
    // While the lease runs nobody else sends it; after it expires the live worker takes over.
    expect((await h.worker.drainUntilIdle()).claimed).toBe(0);
    h.clock.advance(121_000);
    await drainAll();
    const [finish] = await h.outbox.list();
    expect(finish).toMatchObject({ state: 'done', attempts: 1, result: { CALL_ID: call.CALL_ID, alreadyFinished: true } });
    expect(h.double.callsOf('telephony.externalcall.finish').filter((r) => r.status === 200)).toHaveLength(1);
    expect(h.double.state.calls.get(call.CALL_ID)?.finished).toMatchObject({ STATUS_CODE: '200', DURATION: 30 });
  });

  it('a finish whose answer was lost is not repeated in effect: "Call is not found" on the retry means done', async () => {
    await setup({ timeoutMs: 300 });
    const call = h.double.state.registerClickToCall('1', '+79261234567');
    h.double.faults.push({ method: 'telephony.externalcall.finish', kind: 'process-then-hang', times: 1 });
    source.pending.push(callRecord({ crmCallId: call.CALL_ID, userId: '1', origin: 'crm' }));
    await handoff.drainPending();
    await h.worker.drainUntilIdle();
    const [first] = await h.outbox.list();
    expect(first).toMatchObject({ state: 'pending', attempts: 1 });
    expect(first?.lastError).toMatch(/timeout/i);
    await drainAll();
    const [finish] = await h.outbox.list();
    expect(finish).toMatchObject({ state: 'done', result: { CALL_ID: call.CALL_ID, alreadyFinished: true } });
    expect(h.double.state.calls.get(call.CALL_ID)?.finished).toMatchObject({ STATUS_CODE: '200' });
  });
});
