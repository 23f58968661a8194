import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amiGet } from '../../../src/adapters/asterisk/ami/codec.ts';
import { scaledClock } from '../../../src/app/crm/clock.ts';
import type { OutageMode } from '../../../src/doubles/bitrix24/server.ts';
import { acceptedFinishes, allFinishes, click, mark, settle, startService, trunkDials, waitFor, type Service } from './harness.ts';

/**
 * The call record survives what production throws at it: Bitrix24 down when the call ends, and
 * the connector restarted while the client is talking. Either way Bitrix24 gets exactly one finish.
 */
describe('call records survive outages and restarts', () => {
  let s: Service;
  beforeAll(async () => {
    s = await startService({
      // Calls talk 20 s of PBX time (1 s real at timeScale 0.05).
      trunks: [{ match: '*', outcome: { kind: 'answer', ringMs: 200, talkMs: 20_000 } }],
      timeScale: 0.05,
      // The outbox's backoff (2 s, 4 s, 8 s…) runs 50 times faster; it idles 1 s (20 ms real) between polls.
      crmClock: scaledClock(50),
      env: { OUTBOX_POLL_MS: '1000' },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  const answered = (since: number) => () => s.pbx.events.slice(since).some((e) => amiGet(e, 'Event') === 'DialEnd' && amiGet(e, 'DialStatus') === 'ANSWER' && amiGet(e, 'Channel') !== undefined);

  /**
   * Waits until the running connector has taken in the callee's answer, not just the PBX sent it:
   * a stop before that leaves the connector nothing saying the call was answered. The trunk leg's
   * DialEnd names the caller's Channel; the Originate's own (the manager's phone) has none.
   */
  async function connectorSeesAnswer(): Promise<void> {
    const ami = s.connector.ami;
    if (!ami) throw new Error('the connector has no AMI client');
    let seen = false;
    const listener = (e: Readonly<Record<string, string | undefined>>): void => {
      if (e.event === 'DialEnd' && e.dialstatus === 'ANSWER' && e.channel !== undefined) seen = true;
    };
    ami.on('event', listener);
    try {
      await waitFor('the connector to see the answer', () => seen);
    } finally {
      ami.off('event', listener);
    }
  }

  it.each<OutageMode>(['unavailable', 'refuse'])('Bitrix24 down (%s) while the call ends: the record arrives after recovery, exactly once', async (mode) => {
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+79151234567' });
    await waitFor('the callee to answer', answered(since));
    await s.bitrix24.setOutage(mode);
    try {
      await waitFor('the call to end', async () => (await s.connector.calls.store.findCall(callId))?.state === 'ended');
      // The finish is tried against the dead portal and stays queued with the failure it met.
      const failedFinish = async () => {
        const queued = [...await s.connector.crm.outbox.list({ state: 'pending' }), ...await s.connector.crm.outbox.list({ state: 'inflight' })];
        return queued.find((e) => e.method.toLowerCase() === 'telephony.externalcall.finish' && e.params.CALL_ID === callId && e.attempts >= 1 && e.lastError);
      };
      await waitFor('the finish to be tried and fail against the dead portal', async () => (await failedFinish()) !== undefined);
      expect(acceptedFinishes(s, callId)).toEqual([]);
    } finally {
      await s.bitrix24.setOutage('none');
    }
    await settle(s, callId);
    const accepted = acceptedFinishes(s, callId);
    expect(accepted.map((f) => f.params.STATUS_CODE)).toEqual(['200']);
    expect(Number(accepted[0]?.params.DURATION)).toBe(20);
    // No second finish reached the portal after the accepted one (it would be "Call is not found").
    expect(allFinishes(s, callId).filter((f) => f.status !== 503)).toHaveLength(1);
    expect(trunkDials(s, since)).toEqual(['89151234567@gw-mts']);
  });

  it('a connector restart while the client is talking: the record is still written, once, with the real talk time', async () => {
    const since = mark(s);
    const answer = connectorSeesAnswer();
    const callId = await click(s, { userId: '1', number: '+79151234566' });
    await answer;
    const before = s.connector;
    await s.restartConnector();
    expect(s.connector === before, "a new connector").toBe(false);
    await waitFor('the restarted connector to reach the PBX', () => s.connector.ami?.connected === true);
    const { record } = await settle(s, callId);
    expect(record).toMatchObject({ statusCode: '200', trunkId: 'gsm-mts', durationSec: 20 });
    const finishes = allFinishes(s, callId);
    expect(finishes.map((f) => [f.status, f.params.STATUS_CODE])).toEqual([[200, '200']]);
    expect(Number(finishes[0]?.params.DURATION)).toBe(20);
    expect(trunkDials(s, since)).toEqual(['89151234566@gw-mts']);
  });

  it('the call ends while the connector is down: after the restart it is closed and written, once', async () => {
    const since = mark(s);
    const answer = connectorSeesAnswer();
    const callId = await click(s, { userId: '1', number: '+79151234565' });
    await answer;
    // Stopped mid-call; the client hangs up while nothing listens to AMI.
    await s.restartConnector(() => s.pbx.idle());
    await waitFor('the restarted connector to reach the PBX', () => s.connector.ami?.connected === true);
    const { record } = await settle(s, callId);
    expect(record).toMatchObject({ statusCode: '200', trunkId: 'gsm-mts' });
    expect(allFinishes(s, callId).map((f) => [f.status, f.params.STATUS_CODE])).toEqual([[200, '200']]);
    expect(trunkDials(s, since)).toEqual(['89151234565@gw-mts']);
  });
});
