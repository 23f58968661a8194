import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amiGet } from '../../../src/adapters/asterisk/ami/codec.ts';
import { allFinishes, click, mark, originates, postStart, rowCounts, settle, sleep, startEventData, startService, trunkDials, waitFor, writesFor, type Service } from './harness.ts';

/**
 * What reaches Bitrix24 (and what does not) for click-to-calls, end to end. The shipped crm.yaml
 * whitelists user 4 and department 10 (Sales) and excludes +74950001122 (the water delivery).
 */
describe('what the service writes to Bitrix24', () => {
  let s: Service;
  beforeAll(async () => {
    s = await startService({ trunks: [{ match: '*', outcome: { kind: 'answer', ringMs: 200, talkMs: 2000 } }] });
  });
  afterAll(async () => {
    await s.close();
  });

  const mixMonitors = (since: number) => s.pbx.events.slice(since).filter((e) => amiGet(e, 'Event') === 'Newexten' && amiGet(e, 'Application') === 'MixMonitor');

  it('a user who is not on the CRM whitelist is called through, but Bitrix24 only hides the call card', async () => {
    const since = mark(s);
    // User 5 is in HR (department 20); the whitelist holds user 4 and department 10 only.
    const callId = await click(s, { userId: '5', number: '+79151234568' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)).toEqual(['89151234568@gw-hr-mts']);
    expect(record?.statusCode).toBe('200');
    // Recorded on the PBX as usual (only the CRM write is withheld).
    expect(mixMonitors(since)).toHaveLength(1);
    expect(writesFor(s, callId).map((w) => w.method.toLowerCase())).toEqual(['telephony.externalcall.hide']);
    expect(s.bitrix24.state.calls.get(callId)?.finished).toBeNull();
  });

  it('a call to an excluded number is placed, not recorded, and not written to the CRM', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+74950001122' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)).toHaveLength(1);
    expect(record?.statusCode).toBe('200');
    // The route request tells the dialplan not to record: the shipped dialplan skips MixMonitor on ROUTE_RECORD=0.
    const routeRecord = s.pbx.events.slice(since).filter((e) => amiGet(e, 'Event') === 'VarSet' && amiGet(e, 'Variable') === 'ROUTE_RECORD');
    expect(routeRecord.map((e) => amiGet(e, 'Value'))).toEqual(['0']);
    expect(mixMonitors(since)).toEqual([]);
    expect(record?.recording).toBeNull();
    const methods = writesFor(s, callId).map((w) => w.method.toLowerCase());
    expect(methods).not.toContain('telephony.externalcall.finish');
    expect(methods).not.toContain('telephony.externalcall.attachrecord');
    expect(s.bitrix24.state.calls.get(callId)?.finished).toBeNull();
  });

  it('the same ONEXTERNALCALLSTART delivered twice (and once more later) rings the manager once', async () => {
    const since = mark(s);
    const registered = s.bitrix24.state.registerClickToCall('1', '+79151234569', '');
    const data = startEventData(registered.CALL_ID, { userId: '1', number: '+79151234569' });
    // Bitrix24 re-delivers an event whose handler was slow: both copies can arrive together.
    const [first, second] = await Promise.all([postStart(s, data), postStart(s, data)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await settle(s, registered.CALL_ID);
    expect((await postStart(s, data)).status).toBe(200);
    await sleep(200);
    expect(originates(s, since)).toBe(1);
    expect(trunkDials(s, since)).toHaveLength(1);
    expect(allFinishes(s, registered.CALL_ID).map((f) => f.params.STATUS_CODE)).toEqual(['200']);
  });

  it('an event with a forged application token is answered 401 and changes nothing', async () => {
    await s.pbx.idle();
    const since = mark(s);
    const restCalls = s.bitrix24.received.length;
    const before = await rowCounts(s);
    const registered = s.bitrix24.state.registerClickToCall('1', '+79151234561', '');
    const forged = { ...s.bitrix24.appAuth(), application_token: 'f0'.repeat(16) };
    const res = await postStart(s, startEventData(registered.CALL_ID, { userId: '1', number: '+79151234561' }), forged);
    expect(res.status).toBe(401);
    // Give a wrongly accepted event the time a real one needs to reach the PBX and the outbox.
    await sleep(300);
    expect(s.pbx.events.length).toBe(since);
    expect(s.bitrix24.received.length).toBe(restCalls);
    expect(await rowCounts(s)).toEqual(before);
    expect(await s.connector.calls.store.findCall(registered.CALL_ID)).toBeNull();
  });

  it('sanity: the forged-token check above is not vacuous (the genuine token places the same call)', async () => {
    const since = mark(s);
    const registered = s.bitrix24.state.registerClickToCall('1', '+79151234562', '');
    const res = await postStart(s, startEventData(registered.CALL_ID, { userId: '1', number: '+79151234562' }));
    expect(res.status).toBe(200);
    await waitFor('the Originate', () => originates(s, since) === 1);
    await settle(s, registered.CALL_ID);
  });
});
