import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { replayLabCall } from '../../contracts/calls-replay.ts';
import { hasSharedData, SKIP_REASON } from '../../support/shared-data.ts';

let h: CallsHarness;
beforeEach(async () => {
  h = await callsHarness();
});
afterEach(async () => h.close());

// The captures of a real Asterisk live in ../shared (not in the repository).
describe.skipIf(!hasSharedData)(`tracker fed the real lab captures${hasSharedData ? '' : ` (${SKIP_REASON})`}`, () => {
  it('01: congestion then answer → 200 on the second trunk, 2 s of talk, recorded', async () => {
    const [r, ...rest] = await replayLabCall(h, 'ami-01-rotate-congestion-then-answer.txt');
    expect(rest).toEqual([]);
    expect(r).toMatchObject({
      callId: 'c2c-o1', crmCallId: 'externalCall.lab.o1', linkedid: 'c2c-o1-a', statusCode: '200', failedReason: null,
      trunkId: 'trunk-answer', b24Line: 'line-trunk-answer', durationSec: 2, number: '+79160000001', userId: '12', extension: '100',
      recording: '/var/spool/asterisk/monitor/c2c-o1-a.wav', cost: 1.5,
    });
    expect(r?.attempts.map((a) => [a.trunkId, a.dialStatus, a.hangupCause, a.decision, a.outcomeSource])).toEqual([
      ['trunk-congestion', 'CONGESTION', 34, 'rotate', 'agi'],
      ['trunk-answer', 'ANSWER', 16, 'stop', 'ami'],
    ]);
    expect(r?.answeredAt).not.toBeNull();
  });

  it('02: busy → 486 after one attempt', async () => {
    const [r] = await replayLabCall(h, 'ami-02-busy-no-rotation.txt');
    expect(r).toMatchObject({ statusCode: '486', trunkId: 'trunk-busy', durationSec: 0, cost: 0 });
    expect(r?.attempts).toHaveLength(1);
  });

  it('03: no answer → 304', async () => {
    const [r] = await replayLabCall(h, 'ami-03-noanswer-no-rotation.txt');
    expect(r).toMatchObject({ statusCode: '304', trunkId: 'trunk-noanswer' });
    expect(r?.attempts).toHaveLength(1);
  });

  it('04: cause 68 rotated, then cause 21 → 603', async () => {
    const [r] = await replayLabCall(h, 'ami-04-nobalance-then-rejected-stop.txt');
    expect(r).toMatchObject({ statusCode: '603', trunkId: 'trunk-rejected' });
    expect(r?.attempts.map((a) => [a.dialStatus, a.hangupCause, a.decision])).toEqual([['CHANUNAVAIL', 68, 'rotate'], ['CHANUNAVAIL', 21, 'stop']]);
  });

  it('05: chanunavail, temporary failure, then answer on the 3rd attempt → 200', async () => {
    const [r] = await replayLabCall(h, 'ami-05-chanunavail-then-tempfail-then-answer.txt');
    expect(r).toMatchObject({ statusCode: '200', trunkId: 'trunk-answer' });
    expect(r?.durationSec).toBeGreaterThanOrEqual(1);
    expect(r?.attempts.map((a) => a.dialStatus)).toEqual(['CHANUNAVAIL', 'CHANUNAVAIL', 'ANSWER']);
  });

  it("06: the manager's phone does not answer → 603-S with the reason", async () => {
    const [r] = await replayLabCall(h, 'ami-06-manager-phone-not-answering.txt');
    expect(r).toMatchObject({ callId: 'c2c-o6', statusCode: '603-S', attempts: [], durationSec: 0 });
    expect(r?.failedReason).toMatch(/did not answer.*Reason 3/);
  });

  it('07: unknown channel technology → 603-S (no channel events at all)', async () => {
    const [r] = await replayLabCall(h, 'ami-07-originate-unknown-channel-tech.txt');
    expect(r).toMatchObject({ callId: 'c2c-o7', statusCode: '603-S' });
    expect(r?.failedReason).toMatch(/Reason 0/);
  });

  it('10: connector unreachable → the fail-open dial is recorded', async () => {
    const [r] = await replayLabCall(h, 'ami-10-fastagi-down-fail-open.txt');
    expect(r).toMatchObject({ callId: 'c2c-o10', statusCode: '200', trunkId: 'failopen' });
    expect(r?.attempts).toMatchObject([{ attemptNo: 1, outcomeSource: 'failopen', dialStatus: 'ANSWER' }]);
    const stored = await h.store.listAttempts('c2c-o10');
    expect(stored).toMatchObject([{ outcomeSource: 'failopen', trunkId: 'failopen' }]);
  });

  it('11: a desk-phone call → 486, no CRM call id, keyed by its Linkedid', async () => {
    const records = await replayLabCall(h, 'ami-11-desk-phone-call-busy.txt');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ crmCallId: null, origin: 'phone', linkedid: '1795439694.30', extension: '100', statusCode: '486', trunkId: 'trunk-busy' });
  });

  it('ended calls wait for the CRM side (crm_handoff pending), and leave memory', async () => {
    await replayLabCall(h, 'ami-02-busy-no-rotation.txt');
    await replayLabCall(h, 'ami-11-desk-phone-call-busy.txt');
    const pending = await h.store.listCallsPendingCrmHandoff(10);
    expect(pending.map((p) => p.statusCode).sort()).toEqual(['486', '486']);
    expect(h.tracker.openCalls).toBe(0);
    expect(await h.store.loadTracking()).toEqual([]);
  });
});
