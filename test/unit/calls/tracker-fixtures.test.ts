import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { CallTracker } from '../../../src/app/calls/tracker.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { labProbe } from '../../contracts/calls-replay.ts';
import { AmiScript, c2cChannels } from './ami-fixture.ts';

let h: CallsHarness;
let ended: CallRecord[];
beforeEach(async () => {
  h = await callsHarness();
  ended = [];
  h.tracker.on('call-ended', (r) => ended.push(r));
});
afterEach(async () => h.close());

/** Click-to-call `c2c-<id>` to +79160000001 (lab rules: trunk-congestion, then trunk-answer), with its route requests. */
async function c2cWithRoute(id: string, outcomes: [string, number][]): Promise<void> {
  const r = await h.clickToCall({ crmCallId: `crm-${id}`, number: '+79160000001' }, id);
  expect(r.ok).toBe(true);
  const probe = labProbe(`c2c-${id}-a`, {});
  for (let n = 1; n <= outcomes.length + 1; n++) {
    const [status, cause] = outcomes[n - 2] ?? ['', 0];
    await h.service.route({ exten: '79160000001', attemptNo: n, dialStatus: status, hangupCause: cause, uniqueid: `c2c-${id}-a`, callerIdNum: '100' }, probe);
  }
}

/** The AMI side of that call: attempt 1 congestion, attempt 2 answered for `talk` seconds. */
function rotateThenAnswer(id: string, talk: number): AmiScript {
  const { manager, legs } = c2cChannels(id, 2);
  const [l1, l2] = legs as [typeof legs[0], typeof legs[0]];
  return new AmiScript()
    .newchannel(manager).noise(manager).originateResponse(manager.uniqueid, 'Success', '4')
    .varSet(manager, 'MIXMONITOR_FILENAME', `/var/spool/asterisk/monitor/${id}.wav`)
    .newchannel(l1).dialBegin(manager, l1, '79160000001@trunk-congestion').hangup(l1, 34).dialEnd(manager, l1, 'CONGESTION')
    .cdr(l1.uniqueid, 0, 'FAILED').varSet(manager, 'DIALSTATUS', 'CONGESTION').attempt(manager, 1, 'CONGESTION', 34)
    .newchannel(l2).dialBegin(manager, l2, '79160000001@trunk-answer').wait(3).dialEnd(manager, l2, 'ANSWER').bridgeEnter(l2)
    .wait(talk).cdr(l2.uniqueid, talk, 'ANSWERED').hangup(l2, 16).hangup(manager, 16);
}

describe('call tracker (hand-made events)', () => {
  it('closes a click-to-call at its last Hangup: 200, talk time from event timestamps, cost per started minute', async () => {
    await c2cWithRoute('f1', [['CONGESTION', 34]]);
    for (const e of rotateThenAnswer('f1', 61).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({
      callId: 'c2c-f1', statusCode: '200', trunkId: 'trunk-answer', durationSec: 61, cost: 3, recording: '/var/spool/asterisk/monitor/f1.wav',
      answeredAt: 1_795_440_103_000, endedAt: 1_795_440_164_000,
    });
    expect(await h.store.getRecord('c2c-f1')).toMatchObject({ statusCode: '200', durationSec: 61, attempts: [{ dialStatus: 'CONGESTION' }, { dialStatus: 'ANSWER' }] });
  });

  it('a route answered but not usable by the dialplan (a missing function): the fail-open leg carries the call', async () => {
    await c2cWithRoute('f12', []);
    const { manager, legs } = c2cChannels('f12', 1);
    const leg = legs[0] as (typeof legs)[0];
    for (const e of new AmiScript().newchannel(manager).originateResponse(manager.uniqueid, 'Success', '4').failOpen(manager, 'SUCCESS')
      .newchannel(leg).dialBegin(manager, leg, 'PJSIP/79160000001@default-trunk').wait(1).dialEnd(manager, leg, 'ANSWER').bridgeEnter(leg)
      .wait(7).hangup(leg, 16).hangup(manager, 16).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-f12', statusCode: '200', durationSec: 7, trunkId: 'failopen' }]);
  });

  it('a desk-phone call routed here is closed without reading it back: the CRM gets the record that is stored', async () => {
    const caller = { channel: 'PJSIP/100-00000001', uniqueid: 'dk1.1', linkedid: 'dk1.1', context: 'connector-outbound', exten: '79160000001' };
    const leg = { channel: 'Local/79160000001@trunk-congestion-00000001;1', uniqueid: 'dk1.2', linkedid: 'dk1.1', context: 'from-trunk', exten: 's' };
    const answer = await h.service.route({ exten: '79160000001', attemptNo: 1, dialStatus: '', hangupCause: null, uniqueid: caller.uniqueid, callerIdNum: '100' }, labProbe(caller.linkedid, { CONNECTOR_EXTEN: '100' }));
    expect(answer).toMatchObject({ action: 'dial', callId: 'desk-dk1.1' });
    const findForTracking = vi.spyOn(h.store, 'findForTracking');
    const listAttemptsOf = vi.spyOn(h.store, 'listAttemptsOf');
    for (const e of new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-congestion').wait(2)
      .dialEnd(caller, leg, 'ANSWER').bridgeEnter(leg).wait(65).hangup(leg, 16).hangup(caller, 16).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(findForTracking).not.toHaveBeenCalled();
    expect(listAttemptsOf).not.toHaveBeenCalled();
    expect(ended).toMatchObject([{ callId: 'desk-dk1.1', origin: 'phone', statusCode: '200', durationSec: 65, attempts: [{ attemptNo: 1, dialStatus: 'ANSWER' }] }]);
    expect(await h.store.getRecord('desk-dk1.1')).toEqual(ended[0]);
  });

  it('never closes or classifies a call on Cdr events', async () => {
    await c2cWithRoute('f2', [['CONGESTION', 34]]);
    const events = rotateThenAnswer('f2', 5).events;
    const lastTwo = events.splice(events.length - 2);
    for (const e of events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toEqual([]);
    expect(h.tracker.openCalls).toBe(1);
    for (const e of lastTwo) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toHaveLength(1);
  });

  it('a restart in the middle of a call loses nothing', async () => {
    await c2cWithRoute('f3', [['CONGESTION', 34]]);
    const events = rotateThenAnswer('f3', 10).events;
    const half = events.findIndex((e) => e.event === 'BridgeEnter') + 1;
    for (const e of events.slice(0, half)) h.tracker.handle(e);
    await h.tracker.stop();

    const restarted = new CallTracker({
      store: h.store, clock: h.clock, logger: h.log.logger, connectorContext: 'connector-outbound', flushIntervalMs: 0,
      lineOf: () => null, failOpenTrunk: null, failOpenPerMinute: null,
    });
    await restarted.start();
    expect(restarted.openCalls).toBe(1);
    const after: CallRecord[] = [];
    restarted.on('call-ended', (r) => after.push(r));
    for (const e of events.slice(half)) restarted.handle(e);
    await restarted.stop();
    // What was learnt before the restart (the recording, the answer time, the first attempt's outcome) survives it.
    expect(after).toMatchObject([{
      callId: 'c2c-f3', statusCode: '200', durationSec: 10, trunkId: 'trunk-answer', recording: '/var/spool/asterisk/monitor/f3.wav',
      answeredAt: 1_795_440_103_000,
    }]);
    expect(after[0]?.attempts.map((a) => [a.trunkId, a.dialStatus])).toEqual([['trunk-congestion', 'CONGESTION'], ['trunk-answer', 'ANSWER']]);
  });

  it('tolerates events of a call it never saw start', async () => {
    await c2cWithRoute('f4', []);
    const { manager, legs } = c2cChannels('f4', 1);
    const leg = legs[0] as (typeof legs)[0];
    // Only the end of the call: the connector started after the Newchannel events.
    for (const e of new AmiScript().dialEnd(manager, leg, 'BUSY').hangup(leg, 17).varSet(manager, 'DIALSTATUS', 'BUSY').hangup(manager, 16).events) {
      h.tracker.handle(e);
    }
    await h.tracker.flush();
    expect(ended.map((r) => r.callId)).toContain('c2c-f4');
  });

  it('a late OriginateResponse does not reopen an ended call', async () => {
    await c2cWithRoute('f5', [['CONGESTION', 34]]);
    const script = rotateThenAnswer('f5', 2);
    for (const e of script.events) h.tracker.handle(e);
    h.tracker.handle(new AmiScript().originateResponse('c2c-f5-a', 'Failure', '0').events[0] as Record<string, string>);
    await h.tracker.flush();
    expect(ended).toHaveLength(1);
    expect(h.tracker.openCalls).toBe(0);
  });

  it('the caller hanging up while the trunk rings → 603-S (the manager cancelled)', async () => {
    await c2cWithRoute('f6', []);
    const { manager, legs } = c2cChannels('f6', 1);
    const leg = legs[0] as (typeof legs)[0];
    for (const e of new AmiScript().newchannel(manager).newchannel(leg).dialBegin(manager, leg, '79160000001@trunk-congestion')
      .wait(4).hangup(manager, 16).dialEnd(manager, leg, 'CANCEL').hangup(leg, 16).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-f6', statusCode: '603-S', durationSec: 0 }]);
  });

  it('after an AMI reconnect, calls that are no longer up are closed with what is known', async () => {
    await c2cWithRoute('f7', [['CONGESTION', 34]]);
    const events = rotateThenAnswer('f7', 2).events;
    const cut = events.findIndex((e) => e.event === 'BridgeEnter') + 1;
    for (const e of events.slice(0, cut)) h.tracker.handle(e);
    h.tracker.reconcile(new Set());
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-f7', statusCode: '200', trunkId: 'trunk-answer' }]);
  });

  it('after an AMI reconnect, a trunk leg whose end was never seen → OTHER saying so, not a guessed "cancelled"', async () => {
    await c2cWithRoute('f11', [['CONGESTION', 34]]);
    const events = rotateThenAnswer('f11', 2).events;
    // The connection dropped after the second trunk's DialBegin: its answer and hang-up were missed.
    const cut = events.findIndex((e) => e.event === 'DialBegin' && e.dialstring === '79160000001@trunk-answer') + 1;
    for (const e of events.slice(0, cut)) h.tracker.handle(e);
    h.tracker.reconcile(new Set());
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-f11', statusCode: 'OTHER', trunkId: 'trunk-answer', durationSec: 0 }]);
    expect(ended[0]?.failedReason).toMatch(/not following the PBX.*not seen/);
    expect(ended[0]?.attempts.map((a) => a.dialStatus)).toEqual(['CONGESTION', 'UNSEEN']);
  });

  it('after an AMI (re)connect, open calls nothing followed are closed as unseen; live, followed and newer ones are not', async () => {
    // Dialled before the connection: one never seen at all, one routed, one still up, one the tracker follows.
    for (const id of ['u1', 'u2', 'u3', 'u4']) expect((await h.clickToCall({ crmCallId: `crm-${id}`, number: '+79160000001' }, id)).ok).toBe(true);
    await h.service.route({ exten: '79160000001', attemptNo: 1, dialStatus: '', hangupCause: 0, uniqueid: 'c2c-u2-a', callerIdNum: '100' }, labProbe('c2c-u2-a', {}));
    const { manager } = c2cChannels('u4', 0);
    for (const e of new AmiScript().newchannel(manager).events) h.tracker.handle(e);
    const snapshot = h.tracker.snapshot();
    expect((await h.clickToCall({ crmCallId: 'crm-u5', number: '+79160000001' }, 'u5')).ok).toBe(true);

    expect(await h.tracker.closeUnfollowed(new Set(['c2c-u3-a']), snapshot.at)).toBe(2);
    await h.tracker.flush();
    expect(ended.map((r) => [r.callId, r.statusCode, r.failedReason])).toEqual([
      ['c2c-u1', 'OTHER', expect.stringMatching(/not following the PBX/)],
      ['c2c-u2', 'OTHER', expect.stringMatching(/not following the PBX/)],
    ]);
    expect(ended[1]?.attempts.map((a) => [a.trunkId, a.dialStatus])).toEqual([['trunk-congestion', 'UNSEEN']]);
    for (const id of ['u3', 'u4', 'u5']) expect((await h.store.getCall(`c2c-${id}`))?.state).not.toBe('ended');
    // Closed once: a second sweep finds nothing to close.
    expect(await h.tracker.closeUnfollowed(new Set(['c2c-u3-a']), snapshot.at)).toBe(0);
  });

  it('a call whose close is being written (and fails) is not taken for one nothing follows: one record, its real outcome', async () => {
    await c2cWithRoute('u6', [['CONGESTION', 34]]);
    const applyTracking = h.store.applyTracking.bind(h.store);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    let writes = 0;
    h.store.applyTracking = async (write) => {
      writes += 1;
      if (writes === 1) {
        await gate;
        throw new Error('SQLITE_BUSY: database is locked');
      }
      return applyTracking(write);
    };
    for (const e of rotateThenAnswer('u6', 5).events) h.tracker.handle(e);
    const first = h.tracker.flush();
    try {
      await vi.waitFor(() => expect(writes).toBe(1));
      // The sweep runs while that write is under way: the call is neither in memory nor waiting.
      expect(await h.tracker.closeUnfollowed(new Set(), Number.MAX_SAFE_INTEGER)).toBe(0);
    } finally {
      release();
    }
    await first;
    await h.tracker.flush();
    expect(ended.map((r) => [r.callId, r.statusCode])).toEqual([['c2c-u6', '200']]);
    expect(await h.store.getCall('c2c-u6')).toMatchObject({ state: 'ended', statusCode: '200' });
  });

  it('one call whose end the database refuses does not hold up the others closed with it; it is retried until stored', async () => {
    for (const id of ['p1', 'p2', 'p3']) await c2cWithRoute(id, [['CONGESTION', 34]]);
    const applyTracking = h.store.applyTracking.bind(h.store);
    let refusing = true;
    h.store.applyTracking = async (write) => {
      if (refusing && write.ended.some((e) => e.call.id === 'c2c-p2')) throw new Error('insert into "calls" … violates check constraint');
      return applyTracking(write);
    };
    for (const id of ['p1', 'p2', 'p3']) for (const e of rotateThenAnswer(id, 5).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended.map((r) => r.callId).sort()).toEqual(['c2c-p1', 'c2c-p3']);
    expect(await h.store.getCall('c2c-p1')).toMatchObject({ state: 'ended', statusCode: '200' });
    expect(await h.store.getCall('c2c-p2')).not.toMatchObject({ state: 'ended' });
    // Still refused at the next flush; then accepted: closed once, with its real outcome.
    await h.tracker.flush();
    expect(ended).toHaveLength(2);
    refusing = false;
    await h.tracker.flush();
    expect(ended.map((r) => [r.callId, r.statusCode]).sort()).toEqual([['c2c-p1', '200'], ['c2c-p2', '200'], ['c2c-p3', '200']]);
    expect(await h.store.getCall('c2c-p2')).toMatchObject({ state: 'ended', statusCode: '200', durationSec: 5 });
  });

  it('the database away: nothing is closed, nothing lost, every call closes once it is back', async () => {
    for (const id of ['q1', 'q2']) await c2cWithRoute(id, [['CONGESTION', 34]]);
    const applyTracking = h.store.applyTracking.bind(h.store);
    let away = true;
    let writes = 0;
    h.store.applyTracking = async (write) => {
      writes += 1;
      if (away) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return applyTracking(write);
    };
    for (const id of ['q1', 'q2']) for (const e of rotateThenAnswer(id, 5).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toEqual([]);
    // The chunk, then each of its calls alone: no more than that per flush.
    expect(writes).toBe(3);
    away = false;
    await h.tracker.flush();
    expect(ended.map((r) => r.callId).sort()).toEqual(['c2c-q1', 'c2c-q2']);
  });

  it('a reconnect snapshot does not close a call that changed after it was taken', async () => {
    await c2cWithRoute('f10', [['CONGESTION', 34]]);
    const events = rotateThenAnswer('f10', 2).events;
    const snapshotAt = h.tracker.eventsSeen;
    for (const e of events.slice(0, 5)) h.tracker.handle(e);
    h.tracker.reconcile(new Set(), snapshotAt);
    await h.tracker.flush();
    expect(ended).toEqual([]);
    expect(h.tracker.openCalls).toBe(1);
  });

  it('calls outside the connector context (internal calls) produce no record', async () => {
    const a = { channel: 'PJSIP/100-1', uniqueid: '9.1', linkedid: '9.1', context: 'from-internal', exten: '101' };
    const b = { channel: 'PJSIP/101-2', uniqueid: '9.2', linkedid: '9.1', context: 'from-internal', exten: '101' };
    for (const e of new AmiScript().newchannel(a).newchannel(b).dialBegin(a, b, '101').dialEnd(a, b, 'ANSWER').hangup(b, 16).hangup(a, 16).events) {
      h.tracker.handle(e);
    }
    await h.tracker.flush();
    expect(ended).toEqual([]);
    expect(await h.store.loadTracking()).toEqual([]);
  });

  it('a route that used up its plan after technical failures → 503 naming the cause; all cause 68 → 402', async () => {
    await c2cWithRoute('f8', [['CONGESTION', 34], ['CHANUNAVAIL', 34]]);
    const { manager } = c2cChannels('f8', 0);
    for (const e of new AmiScript().newchannel(manager).hangup(manager, 16).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-f8', statusCode: '503' }]);

    await c2cWithRoute('f9', [['CHANUNAVAIL', 68], ['CHANUNAVAIL', 68]]);
    const m9 = c2cChannels('f9', 0).manager;
    for (const e of new AmiScript().newchannel(m9).hangup(m9, 16).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended[1]).toMatchObject({ callId: 'c2c-f9', statusCode: '402' });
  });
});
