import fs from 'node:fs';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBracketForm } from '../../../src/adapters/bitrix24/form.ts';
import { clickIntake } from '../../../src/adapters/db/click-intake.ts';
import { CrmEvents } from '../../../src/app/crm/crm-events.ts';
import { crmHarness, type Harness } from '../crm/harness.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';

let h: Harness;

beforeEach(async () => {
  h = await crmHarness();
});
afterEach(async () => {
  await h.close();
});

/** ONEXTERNALCALLSTART data as Bitrix24 sends it (all strings), for a call the double registered. */
function clickData(over: Record<string, string> = {}, userId = '1', phone = '+79261234567'): Record<string, string> {
  const call = h.double.state.registerClickToCall(userId, phone, over.LINE_NUMBER ?? '');
  return {
    PHONE_NUMBER: phone.replace(/^\+7/, '8'), PHONE_NUMBER_INTERNATIONAL: phone, EXTENSION: '', USER_ID: userId, CALL_LIST_ID: '0',
    LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: call.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '797', ...over,
  };
}

/** Posts an event stamped now (by the harness clock), or at `ts` (unix seconds). */
function post(data: Record<string, string>, auth: Record<string, string> = h.double.appAuth(), event = 'ONEXTERNALCALLSTART', ts = Math.floor(h.clock.now() / 1000)) {
  const body = encodeBracketForm({ event, event_handler_id: '1055', data, ts: String(ts), auth });
  return request(h.app).post('/bitrix24/events').type('form').send(body);
}

describe('POST /bitrix24/events — verification', () => {
  it('refuses a forged application_token with 401: nothing persisted, nothing dialled, nothing written', async () => {
    const res = await post(clickData(), { ...h.double.appAuth(), application_token: 'f'.repeat(32) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'UNAUTHORIZED' });
    await h.settled();
    expect(await h.eventsRepo.count()).toBe(0);
    expect(h.port.requests).toEqual([]);
    expect(await h.outbox.list()).toEqual([]);
  });

  it('refuses the right token from another portal (member_id, domain) with 401', async () => {
    expect((await post(clickData(), { ...h.double.appAuth(), member_id: '0'.repeat(32) })).status).toBe(401);
    expect((await post(clickData(), { ...h.double.appAuth(), domain: 'other.bitrix24.ru' })).status).toBe(401);
    const noToken = { ...h.double.appAuth() } as Record<string, string>;
    delete noToken.application_token;
    expect((await post(clickData(), noToken)).status).toBe(401);
    expect(await h.eventsRepo.count()).toBe(0);
  });

  it('answers 400 to a malformed body or missing CALL_ID, naming the field', async () => {
    const bad = await request(h.app).post('/bitrix24/events').type('form').send('data%5B__proto__%5D%5Bx%5D=1');
    expect(bad.status).toBe(400);
    const noCall = await post({ ...clickData(), CALL_ID: '' });
    expect(noCall.status).toBe(400);
    expect(noCall.body.message).toContain('CALL_ID');
  });
});

describe('POST /bitrix24/events — ONEXTERNALCALLSTART', () => {
  it('persists the event and replies before any dialling; then dials PHONE_NUMBER_INTERNATIONAL', async () => {
    const data = clickData({ IS_MOBILE: 'Y' });
    const res = await post(data);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'accepted' });
    // Replied with the event stored and nothing dialled yet.
    expect(await h.eventsRepo.count()).toBe(1);
    expect(h.port.requests).toEqual([]);
    await h.settled();
    expect(h.port.originated).toEqual([{
      crmCallId: data.CALL_ID, userId: '1', extension: '100', number: '+79261234567', numberIsInternational: true, origin: 'mobile', line: null,
    }]);
    expect((await h.eventsRepo.listUnprocessed())).toEqual([]);
  });

  it('a repeated event for the same CALL_ID never dials twice', async () => {
    const data = clickData();
    expect((await post(data)).body.status).toBe('accepted');
    expect((await post(data)).body.status).toBe('duplicate');
    await h.settled();
    expect((await post(data)).body.status).toBe('duplicate');
    await h.settled();
    expect(h.port.requests).toHaveLength(1);
  });

  it('a line outside the department whitelist: nothing dialled, finished 403 naming the line and the department', async () => {
    const data = clickData({ LINE_NUMBER: '101' }, '2'); // HR manager picks the Sales MTS line
    await post(data);
    await h.settled();
    expect(h.port.originated).toEqual([]);
    await h.worker.drainUntilIdle();
    const finished = h.double.state.calls.get(data.CALL_ID as string)?.finished;
    expect(finished).toMatchObject({ STATUS_CODE: '403', DURATION: 0 });
    expect(String(finished?.FAILED_REASON)).toMatch(/101/);
    expect(String(finished?.FAILED_REASON)).toMatch(/HR/);
  });

  it('an invalid number: nothing dialled, finished 404 with the reason', async () => {
    const data = clickData({ PHONE_NUMBER: '123', PHONE_NUMBER_INTERNATIONAL: '' });
    await post(data);
    await h.settled();
    await h.worker.drainUntilIdle();
    expect(h.port.originated).toEqual([]);
    const finished = h.double.state.calls.get(data.CALL_ID as string)?.finished;
    expect(finished).toMatchObject({ STATUS_CODE: '404' });
    expect(String(finished?.FAILED_REASON)).toMatch(/invalid phone number/);
  });

  it('a user off the CRM whitelist: the call is dialled, its card hidden, nothing else written', async () => {
    const data = clickData({}, '9', '+79031234567');
    await post(data);
    await h.settled();
    await h.worker.drainUntilIdle();
    expect(h.port.originated).toHaveLength(1);
    expect(h.double.received.map((r) => r.method)).toEqual(['telephony.externalcall.hide']);
    expect(h.double.state.calls.get(data.CALL_ID as string)).toMatchObject({ hidden: true, finished: null });
  });

  it('an excluded number is dialled but never written (card hidden)', async () => {
    const data = clickData({}, '1', '+74950001122');
    await post(data);
    await h.settled();
    await h.worker.drainUntilIdle();
    expect(h.port.originated).toHaveLength(1);
    expect(h.double.received.map((r) => r.method)).toEqual(['telephony.externalcall.hide']);
  });

  const restartedEvents = () => new CrmEvents({
    events: h.eventsRepo, clicks: clickIntake(h.db), outbox: h.outbox, results: h.results, gateway: () => h.connection.gateway(), clickToCall: h.port, rules: h.rules, clock: h.clock,
  });

  it('stores the event and its planned call in one transaction before the reply', async () => {
    const data = clickData();
    await post(data);
    // Replied: both rows are there, nothing is dialled yet.
    expect(await h.db('crm_events').select('event_key', 'state')).toEqual([{ event_key: data.CALL_ID, state: 'processing' }]);
    expect(await h.db('calls').select('crm_call_id', 'state')).toEqual([{ crm_call_id: data.CALL_ID, state: 'planned' }]);
    expect(h.port.requests).toEqual([]);
    await h.settled();
    expect(h.port.originated.map((r) => r.crmCallId)).toEqual([data.CALL_ID]);
  });

  it('a call that cannot be stored takes its event with it: nothing stored, nothing dialled, an error for the sender', async () => {
    const plan = h.port.plan.bind(h.port);
    // A row the database refuses (number is NOT NULL): the transaction fails as a whole.
    h.port.plan = (r) => {
      const p = plan(r);
      return p.ok ? { ...p, call: { ...p.call, number: null as unknown as string } } : p;
    };
    const res = await post(clickData());
    expect(res.status).toBeGreaterThanOrEqual(500);
    await h.settled();
    expect(await h.eventsRepo.count()).toBe(0);
    expect(await h.db('calls').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(h.port.requests).toEqual([]);
  });

  it('clicks stored but not handled (a stop in between) are never dialled again after a restart: their calls may have been', async () => {
    const a = clickData();
    const b = clickData({}, '3', '+79161234567');
    await post(a);
    await post(b);
    // "Restart": a fresh service over the same database; the held processing never ran.
    expect(await restartedEvents().resumePending()).toBe(2);
    expect(h.port.originated).toEqual([]);
    expect((await h.db('crm_events').select('outcome')).map((r: { outcome: string }) => r.outcome)).toEqual(['duplicate', 'duplicate']);
  });

  it('a click stored without its call (before this version) is dialled after a restart, once', async () => {
    const data = clickData();
    await h.eventsRepo.record({ event: 'ONEXTERNALCALLSTART', eventKey: data.CALL_ID as string, data, ts: Math.floor(h.clock.now() / 1000) }, h.clock.now());
    expect(await restartedEvents().resumePending()).toBe(1);
    expect(h.port.originated.map((r) => r.crmCallId)).toEqual([data.CALL_ID]);
  });

  // The real outgoing-webhook capture from ../shared: a national PHONE_NUMBER of a US number.
  it.skipIf(!hasSharedData)('takes PHONE_NUMBER_INTERNATIONAL of the real 2020 capture (+17863342521, not 7863342521)', async () => {
    const captured = JSON.parse(fs.readFileSync(sharedPath('bitrix24-events', 'bitrix24-fusion-daemon', 'event.ONEXTERNALCALLSTART.outgoing-webhook.real-2020.json'), 'utf8')) as { data: Record<string, string> };
    await post(captured.data);
    await h.settled();
    expect(h.port.requests[0]).toMatchObject({ number: '+17863342521', numberIsInternational: true, userId: '1', line: null, origin: 'crm' });
  });
});

describe('stale clicks never ring anyone', () => {
  const nowS = () => Math.floor(h.clock.now() / 1000);
  /** A click Bitrix24 registered `registeredAgoS` seconds ago (the time in its CALL_ID). */
  const clickRegistered = (registeredAgoS: number, userId = '1', phone = '+79261234567') => {
    const data = clickData({}, userId, phone);
    const callId = (data.CALL_ID as string).replace(/\.\d+$/, `.${nowS() - registeredAgoS}`);
    const registered = h.double.state.calls.get(data.CALL_ID as string);
    if (registered) h.double.state.calls.set(callId, { ...registered, CALL_ID: callId });
    return { ...data, CALL_ID: callId };
  };
  const finished = (data: Record<string, string>) => h.double.state.calls.get(data.CALL_ID as string)?.finished;
  const restartedEvents = () => new CrmEvents({
    events: h.eventsRepo, clicks: clickIntake(h.db), outbox: h.outbox, results: h.results, gateway: () => h.connection.gateway(), clickToCall: h.port, rules: h.rules,
    clock: h.clock, maxDialDelayMs: 60_000, clockSkewMs: 30_000,
  });

  it('a click whose ts and CALL_ID time are an hour old is finished as not dialled (503, with the reason); no call stored', async () => {
    const data = clickRegistered(3600);
    expect((await post(data, h.double.appAuth(), 'ONEXTERNALCALLSTART', nowS() - 3600)).body).toEqual({ status: 'accepted' });
    await h.settled();
    await h.worker.drainUntilIdle();
    expect(h.port.requests).toEqual([]);
    expect(await h.db('calls').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(finished(data)).toMatchObject({ STATUS_CODE: '503', DURATION: 0 });
    expect(String(finished(data)?.FAILED_REASON)).toMatch(/^not dialled: the click is 360[01] s old \(more than the 60 s allowed\)$/);
    // Delivered again: a duplicate, still not dialled.
    expect((await post(data, h.double.appAuth(), 'ONEXTERNALCALLSTART', nowS() - 3600)).body).toEqual({ status: 'duplicate' });
  });

  it('the newer of the two stamps counts: an old ts with a fresh CALL_ID, or the reverse, is dialled', async () => {
    await post(clickRegistered(0), h.double.appAuth(), 'ONEXTERNALCALLSTART', nowS() - 3600);
    await post(clickRegistered(3600), h.double.appAuth(), 'ONEXTERNALCALLSTART', nowS());
    await h.settled();
    expect(h.port.originated).toHaveLength(2);
  });

  it('a click stamped ahead of this host by more than the allowed skew is not dialled; within it, it is', async () => {
    await post(clickRegistered(-20), h.double.appAuth(), 'ONEXTERNALCALLSTART', nowS() - 3600);
    await h.settled();
    expect(h.port.originated).toHaveLength(1);
    await post(clickRegistered(-300), h.double.appAuth(), 'ONEXTERNALCALLSTART', nowS() - 3600);
    await h.settled();
    expect(h.port.originated).toHaveLength(1);
    expect((await h.db('crm_events').orderBy('id').select('outcome')).map((r: { outcome: string }) => r.outcome)[1]).toMatch(/(299|300) s ahead of this host's clock/);
  });

  it('a click without any time is not dialled', async () => {
    const data = clickData({ CALL_ID: `externalCall.${'a'.repeat(32)}` });
    const body = encodeBracketForm({ event: 'ONEXTERNALCALLSTART', event_handler_id: '1055', data, auth: h.double.appAuth() });
    await request(h.app).post('/bitrix24/events').type('form').send(body);
    await h.settled();
    expect(h.port.requests).toEqual([]);
    expect((await h.eventsRepo.get(1))?.outcome).toMatch(/carries no time/);
  });

  it('a click picked up again after a restart, by then too old, is finished as not dialled', async () => {
    const data = clickData();
    await h.eventsRepo.record({ event: 'ONEXTERNALCALLSTART', eventKey: data.CALL_ID as string, data, ts: nowS() }, h.clock.now());
    h.clock.advance(10 * 60_000);
    expect(await restartedEvents().resumePending()).toBe(1);
    await h.worker.drainUntilIdle();
    expect(h.port.requests).toEqual([]);
    expect(finished(data)).toMatchObject({ STATUS_CODE: '503', FAILED_REASON: expect.stringMatching(/^not dialled: the click is 60[01] s old \(more than the 60 s allowed\)$/) });
  });

  it('a click whose call was stored before a restart and handled again too late is not finished as "not dialled": its call record finishes it', async () => {
    const data = clickData();
    await post(data);
    h.clock.advance(10 * 60_000);
    expect(await restartedEvents().resumePending()).toBe(1);
    await h.worker.drainUntilIdle();
    expect(h.port.requests).toEqual([]);
    expect(finished(data)).toBeNull();
    expect((await h.eventsRepo.get(1))?.outcome).toBe('dialled before the restart');
  });

  it('a callback requested long ago is neither registered nor dialled', async () => {
    h.double.state.crmEntities.set('79161112233', [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 5785, ASSIGNED_BY_ID: 3, NAME: 'Client' }]);
    await post({ PHONE_NUMBER: '+79161112233', CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '5785', LINE_NUMBER: '' }, h.double.appAuth(), 'ONEXTERNALCALLBACKSTART', nowS() - 3600);
    await h.settled();
    expect(h.double.callsOf('telephony.externalcall.register')).toEqual([]);
    expect(h.port.requests).toEqual([]);
    expect((await h.eventsRepo.get(1))?.outcome).toMatch(/360[01] s old/);
  });
});

describe('POST /bitrix24/events — ONEXTERNALCALLBACKSTART', () => {
  it('finds the responsible manager, registers a TYPE 4 call and dials with its CALL_ID', async () => {
    h.double.state.crmEntities.set('79161112233', [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 5785, ASSIGNED_BY_ID: 3, NAME: 'Client' }]);
    const res = await post({ PHONE_NUMBER: '+79161112233', TEXT: 'callback', VOICE: 'ruinternalfemale', CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '5785', LINE_NUMBER: '' }, h.double.appAuth(), 'ONEXTERNALCALLBACKSTART');
    expect(res.body).toEqual({ status: 'accepted' });
    await h.settled();
    const registers = h.double.callsOf('telephony.externalcall.register');
    expect(registers).toHaveLength(1);
    expect(registers[0]?.params).toMatchObject({ USER_ID: '3', TYPE: 4, PHONE_NUMBER: '+79161112233', CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '5785' });
    const callId = [...h.double.state.calls.values()].find((c) => c.TYPE === 4)?.CALL_ID;
    expect(h.port.originated).toEqual([{ crmCallId: callId, userId: '3', extension: '102', number: '+79161112233', numberIsInternational: true, origin: 'crm', line: null }]);
  });
});
