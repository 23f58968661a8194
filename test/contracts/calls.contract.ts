import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CallsRepository, listCallsPendingCrmHandoff, markCrmHandoffDone } from '../../src/adapters/db/repositories/calls-repository.ts';
import type { CallAttemptRecord } from '../../src/app/calls/call-record.ts';
import type { EndedCall, NewCall } from '../../src/app/calls/ports.ts';

export interface CallsDbHandle {
  readonly db: Db;
  clean(): Promise<void>;
  close(): Promise<void>;
}

/** Only the calls tables: other suites share the PostgreSQL database. */
export const CALLS_TABLES = ['call_tracking', 'call_attempts', 'calls'];

const T0 = 1_795_440_000_123;

function newCall(id: string, over: Partial<NewCall> = {}): NewCall {
  return {
    id, crmCallId: `crm-${id}`, channelId: `${id}-a`, linkedid: `${id}-a`, origin: 'crm', userId: '12', extension: '100',
    number: '89160000001', numberE164: '+79160000001', line: null, state: 'planned',
    plan: { attempts: [{ trunk: 'gw', dial: 'PJSIP/89160000001@gw', callerId: '+74950000001', tier: 'on-net', perMinute: 0.5, ringTimeout: 40 }], manualLine: null, rotateAfterManualLine: false, maxAttempts: 5, carrier: 'mts', record: true },
    refusalCode: null, refusalMessage: null, startedAt: T0, ...over,
  };
}

function ended(call: NewCall, over: Partial<EndedCall> = {}): EndedCall {
  return {
    call, statusCode: '200', failedReason: null, trunkId: 'gw', b24Line: 'line-gw', answeredAt: T0 + 5000, endedAt: T0 + 65_000,
    durationSec: 60, cost: 0.5, recording: '/var/spool/asterisk/monitor/x.wav', tracked: { linkedid: call.linkedid }, crmHandoff: 'pending',
    newAttempts: [], attemptOutcomes: [], ...over,
  };
}

/** The calls repository's behaviour, run on SQLite and on PostgreSQL. */
export function callsRepositoryContract(name: string, open: () => Promise<CallsDbHandle>): void {
  describe(`calls repository (${name})`, () => {
    let h: CallsDbHandle;
    let repo: CallsRepository;
    beforeAll(async () => {
      h = await open();
      repo = new CallsRepository(h.db, () => T0);
    });
    afterAll(async () => h.close());
    beforeEach(async () => h.clean());

    it('creates a call once: the same CRM call id or channel id returns the existing one', async () => {
      const first = await repo.createCall(newCall('c1'));
      expect(first.created).toBe(true);
      expect(first.call).toMatchObject({ id: 'c1', state: 'planned', startedAt: T0, crmHandoff: 'none', plan: { carrier: 'mts' } });
      expect(typeof first.call.startedAt).toBe('number');
      const again = await repo.createCall(newCall('c1-other', { channelId: 'zzz' , crmCallId: 'crm-c1' }));
      expect(again).toMatchObject({ created: false, call: { id: 'c1' } });
      const sameChannel = await repo.createCall(newCall('c1-third', { crmCallId: null, channelId: 'c1-a' }));
      expect(sameChannel).toMatchObject({ created: false, call: { id: 'c1' } });
    });

    it('finds a call by id, CRM call id, channel id or Linkedid', async () => {
      await repo.createCall(newCall('c2'));
      for (const key of ['c2', 'crm-c2', 'c2-a']) expect((await repo.findCall(key))?.id).toBe('c2');
      await repo.updateCall('c2', { linkedid: 'L-2' });
      expect((await repo.findCall('L-2'))?.id).toBe('c2');
      expect(await repo.findCall('nope')).toBeNull();
    });

    it('rejects an update of a column that is not updatable', async () => {
      await repo.createCall(newCall('c3'));
      await expect(repo.updateCall('c3', { id: 'x' } as never)).rejects.toThrow(/"id" cannot be updated/);
    });

    it('stores each attempt number once, and its outcome', async () => {
      await repo.createCall(newCall('c4'));
      const attempt = { callId: 'c4', attemptNo: 1, planIndex: 0, trunkId: 'gw', dial: 'PJSIP/x@gw', callerId: '+74950000001', tier: 'on-net', perMinute: 0.5, linkedid: 'c4-a', startedAt: T0 };
      expect(await repo.addAttempt(attempt)).toBe(true);
      expect(await repo.addAttempt({ ...attempt, trunkId: 'other' })).toBe(false);
      await repo.addAttempt({ ...attempt, attemptNo: 2, planIndex: 1, trunkId: 'gw2' });
      await repo.setAttemptOutcome('c4', 1, { dialStatus: 'CONGESTION', hangupCause: 34, decision: 'rotate', source: 'agi', endedAt: T0 + 1 });
      const list = await repo.listAttempts('c4');
      expect(list.map((a) => [a.attemptNo, a.trunkId, a.dialStatus, a.hangupCause, a.decision])).toEqual([[1, 'gw', 'CONGESTION', 34, 'rotate'], [2, 'gw2', null, null, null]]);
      expect(list[0]).toMatchObject({ perMinute: 0.5, startedAt: T0, endedAt: T0 + 1, planIndex: 0 });
      const grouped = await repo.listAttemptsOf(['c4', 'none']);
      expect(grouped.get('c4')).toHaveLength(2);
    });

    it('writes route steps in one transaction; a new call stored already leaves out that call\'s steps, not the others', async () => {
      const attempt = { callId: 'r1', attemptNo: 1, planIndex: 0, trunkId: 'gw', dial: 'PJSIP/x@gw', callerId: null, tier: 'on-net', perMinute: 0.5, linkedid: 'r1-a', startedAt: T0 };
      await repo.applyRouteSteps([{ callId: 'r1', newCall: newCall('r1', { state: 'routing' }), attempt }]);
      await repo.applyRouteSteps([{
        callId: 'r1', outcome: { attemptNo: 1, outcome: { dialStatus: 'CONGESTION', hangupCause: 34, decision: 'rotate', source: 'agi', endedAt: T0 + 1 } },
        attempt: { ...attempt, attemptNo: 2, trunkId: 'gw2' }, update: { linkedid: 'L-r1' },
      }]);
      expect((await repo.listAttempts('r1')).map((a) => [a.attemptNo, a.trunkId, a.dialStatus])).toEqual([[1, 'gw', 'CONGESTION'], [2, 'gw2', null]]);
      expect(await repo.getCall('r1')).toMatchObject({ state: 'routing', linkedid: 'L-r1' });
      // The same new call again (a first request the PBX gave up on, recorded meanwhile): its steps are left
      // out — no attempt, no change to the stored call — and the other calls of the batch are stored.
      await repo.updateCall('r1', { state: 'ended', statusCode: '200' });
      expect(await repo.applyRouteSteps([
        { callId: 'r2', newCall: newCall('r2', { crmCallId: null, channelId: 'r2-a' }), attempt: { ...attempt, callId: 'r2', linkedid: 'r2-a' } },
        { callId: 'r1', newCall: newCall('r1', { state: 'routing' }), attempt: { ...attempt, attemptNo: 3 }, update: { state: 'routing' } },
        { callId: 'r1', outcome: { attemptNo: 2, outcome: { dialStatus: 'BUSY', hangupCause: 17, decision: 'stop', source: 'agi', endedAt: T0 + 2 } } },
      ])).toEqual(['r1']);
      expect(await repo.getCall('r2')).toMatchObject({ state: 'planned' });
      expect((await repo.listAttempts('r2')).map((a) => a.attemptNo)).toEqual([1]);
      expect(await repo.getCall('r1')).toMatchObject({ state: 'ended', statusCode: '200' });
      expect((await repo.listAttempts('r1')).map((a) => [a.attemptNo, a.dialStatus])).toEqual([[1, 'CONGESTION'], [2, null]]);
      // The same new call twice in one batch is stored once, not left out.
      expect(await repo.applyRouteSteps([
        { callId: 'r4', newCall: newCall('r4', { crmCallId: null, channelId: 'r4-a' }), attempt: { ...attempt, callId: 'r4', linkedid: 'r4-a' } },
        { callId: 'r4', newCall: newCall('r4', { crmCallId: null, channelId: 'r4-a' }), update: { linkedid: 'L-r4' } },
      ])).toEqual([]);
      expect(await repo.getCall('r4')).toMatchObject({ linkedid: 'L-r4' });
      expect((await repo.listAttempts('r4')).map((a) => a.attemptNo)).toEqual([1]);
      // A step's own error still refuses the whole batch.
      await expect(repo.applyRouteSteps([
        { callId: 'r3', newCall: newCall('r3', { crmCallId: null, channelId: 'r3-a' }) },
        { callId: 'r1', attempt: { ...attempt, callId: 'no-such-call', attemptNo: 9 } },
      ])).rejects.toThrow();
      expect(await repo.getCall('r3')).toBeNull();
    });

    it('writes a batch of route steps with one statement per kind: each call gets its own outcome and changes, the later winning', async () => {
      const attempt = (callId: string, attemptNo: number) => ({ callId, attemptNo, planIndex: attemptNo - 1, trunkId: `gw${attemptNo}`, dial: 'PJSIP/x@gw', callerId: null, tier: 'on-net', perMinute: 0.5, linkedid: `${callId}-a`, startedAt: T0 });
      const ids = ['b1', 'b2', 'b3'];
      await repo.applyRouteSteps(ids.map((id) => ({ callId: id, newCall: newCall(id, { state: 'routing' }), attempt: attempt(id, 1) })));
      const outcome = (dialStatus: string, hangupCause: number | null) => ({ dialStatus, hangupCause, decision: 'rotate' as const, source: 'agi' as const, endedAt: T0 + 7 });
      await repo.applyRouteSteps([
        { callId: 'b1', outcome: { attemptNo: 1, outcome: outcome('CONGESTION', 34) }, attempt: attempt('b1', 2), update: { linkedid: 'L-b1' } },
        { callId: 'b2', outcome: { attemptNo: 1, outcome: outcome('CHANUNAVAIL', null) }, update: { state: 'stopped', stopReason: 'no route' } },
        { callId: 'b1', outcome: { attemptNo: 1, outcome: outcome('BUSY', 17) }, update: { originateActionId: 'act-1' } },
      ]);
      const b1 = await repo.listAttempts('b1');
      expect(b1.map((a) => [a.attemptNo, a.dialStatus, a.hangupCause, a.endedAt])).toEqual([[1, 'BUSY', 17, T0 + 7], [2, null, null, null]]);
      expect((await repo.listAttempts('b2')).map((a) => [a.dialStatus, a.hangupCause])).toEqual([['CHANUNAVAIL', null]]);
      expect((await repo.listAttempts('b3')).map((a) => a.dialStatus)).toEqual([null]);
      expect(await repo.getCall('b1')).toMatchObject({ state: 'routing', linkedid: 'L-b1', originateActionId: 'act-1' });
      expect(await repo.getCall('b2')).toMatchObject({ state: 'stopped', stopReason: 'no route', linkedid: 'b2-a' });
      expect(await repo.getCall('b3')).toMatchObject({ state: 'routing', stopReason: null });
    });

    it('finishes a batch of calls at once, keeping each stored plan; a call ended twice keeps its last end', async () => {
      const a = newCall('f1');
      const b = newCall('f2');
      await repo.createCall(a);
      await repo.createCall(b);
      await repo.applyTracking({
        save: [], remove: [],
        ended: [ended(a, { statusCode: '486', durationSec: 0 }), ended(b, { cost: 1.25 }), ended(a, { statusCode: '200', durationSec: 42 })],
      });
      expect(await repo.getCall('f1')).toMatchObject({ state: 'ended', statusCode: '200', durationSec: 42, crmHandoff: 'pending' });
      expect((await repo.getCall('f1'))?.plan?.attempts[0]?.trunk).toBe('gw');
      expect(await repo.getCall('f2')).toMatchObject({ state: 'ended', statusCode: '200', cost: 1.25 });
    });

    it('keeps and clears the tracker’s in-flight state', async () => {
      await repo.applyTracking({ save: [{ linkedid: 'L1', state: { linkedid: 'L1', live: ['a'] } }, { linkedid: 'L2', state: { linkedid: 'L2', live: [] } }], remove: [], ended: [] });
      await repo.applyTracking({ save: [{ linkedid: 'L1', state: { linkedid: 'L1', live: ['a', 'b'] } }], remove: ['L2'], ended: [] });
      expect(await repo.loadTracking()).toEqual([{ linkedid: 'L1', state: { linkedid: 'L1', live: ['a', 'b'] } }]);
    });

    it('finishes calls in one write and hands them to the CRM side (pending → done)', async () => {
      const c = newCall('c5');
      await repo.createCall(c);
      await repo.addAttempt({ callId: 'c5', attemptNo: 1, planIndex: 0, trunkId: 'gw', dial: 'PJSIP/x@gw', callerId: null, tier: 'on-net', perMinute: 0.5, linkedid: 'c5-a', startedAt: T0 });
      await repo.applyTracking({
        save: [], remove: ['c5-a'],
        ended: [ended(c, { attemptOutcomes: [{ attemptNo: 1, outcome: { dialStatus: 'ANSWER', hangupCause: 16, decision: 'stop', source: 'ami', endedAt: T0 + 65_000 } }] })],
      });
      const pending = await listCallsPendingCrmHandoff(h.db, 10);
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({
        callId: 'c5', crmCallId: 'crm-c5', linkedid: 'c5-a', number: '+79160000001', statusCode: '200', durationSec: 60, cost: 0.5,
        answeredAt: T0 + 5000, endedAt: T0 + 65_000, trunkId: 'gw', b24Line: 'line-gw', attempts: [{ dialStatus: 'ANSWER', hangupCause: 16, outcomeSource: 'ami' }],
      });
      await h.db.transaction(async (trx) => markCrmHandoffDone(h.db, 'c5', trx));
      expect(await listCallsPendingCrmHandoff(h.db, 10)).toEqual([]);
      expect((await repo.getCall('c5'))?.crmHandoff).toBe('done');
    });

    it('a rolled-back hand-off stays pending', async () => {
      const c = newCall('c6');
      await repo.createCall(c);
      await repo.applyTracking({ save: [], remove: [], ended: [ended(c)] });
      await expect(h.db.transaction(async (trx) => {
        await repo.markCrmHandoffDone('c6', trx);
        throw new Error('outbox insert failed');
      })).rejects.toThrow('outbox insert failed');
      expect((await repo.listCallsPendingCrmHandoff(10)).map((r) => r.callId)).toEqual(['c6']);
    });

    it('finishing a call it never saw route inserts it with its fail-open attempt', async () => {
      const c = newCall('desk-9.1', { crmCallId: null, channelId: null, linkedid: '9.0', origin: 'phone', plan: null, state: 'ended' });
      const attempt: CallAttemptRecord = {
        attemptNo: 1, planIndex: null, trunkId: 'failopen', dial: '79160000001@trunk-answer', callerId: null, tier: null, perMinute: null,
        linkedid: '9.0', dialStatus: 'ANSWER', hangupCause: 16, decision: 'stop', outcomeSource: 'failopen', startedAt: T0, endedAt: T0 + 1,
      };
      await repo.applyTracking({ save: [], remove: [], ended: [ended(c, { newAttempts: [attempt], cost: null })] });
      const record = await repo.getRecord('desk-9.1');
      expect(record).toMatchObject({ crmCallId: null, origin: 'phone', cost: null, attempts: [{ trunkId: 'failopen', outcomeSource: 'failopen' }] });
      expect((await repo.findForTracking(['9.0'], [])).map((x) => x.id)).toEqual(['desk-9.1']);
    });

    it('lists recent calls, newest first', async () => {
      for (let i = 0; i < 3; i++) await repo.createCall(newCall(`l${i}`, { startedAt: T0 + i }));
      expect((await repo.listCalls({ limit: 2 })).map((c) => c.id)).toEqual(['l2', 'l1']);
    });

    it('lists open calls started before a time, oldest first: not ended ones, nor click-to-calls refused before any dial', async () => {
      await repo.createCall(newCall('o-routing', { state: 'routing', startedAt: T0 + 1 }));
      await repo.createCall(newCall('o-planned', { startedAt: T0 }));
      await repo.createCall(newCall('o-refused-desk', { origin: 'phone', crmCallId: null, state: 'stopped', refusalCode: 'LINE_NOT_ALLOWED', startedAt: T0 + 2 }));
      await repo.createCall(newCall('o-refused-c2c', { state: 'stopped', refusalCode: 'LINE_NOT_ALLOWED', startedAt: T0 + 3 }));
      await repo.createCall(newCall('o-later', { startedAt: T0 + 10 }));
      const done = newCall('o-ended', { startedAt: T0 + 4 });
      await repo.createCall(done);
      await repo.applyTracking({ save: [], remove: [], ended: [ended(done)] });
      expect((await repo.listOpenCalls(T0 + 10)).map((c) => c.id)).toEqual(['o-planned', 'o-routing', 'o-refused-desk']);
    });
  });
}
