import fs from 'node:fs';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBracketForm } from '../../../src/adapters/bitrix24/form.ts';
import { CrmEvents } from '../../../src/app/crm/crm-events.ts';
import type { EventJournal, JournaledEvent } from '../../../src/app/crm/ports.ts';
import { crmHarness, type Harness } from '../crm/harness.ts';
import { failingFirst } from '../../support/failing-first.ts';
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

function post(data: Record<string, string>, auth: Record<string, string> = h.double.appAuth(), event = 'ONEXTERNALCALLSTART') {
  const body = encodeBracketForm({ event, event_handler_id: '1055', data, ts: '1773236988', auth });
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
    // No memory of recent clicks yet (rememberRecentClicks runs at start): checked against the database first.
    expect(h.port.originated).toEqual([{
      crmCallId: data.CALL_ID, userId: '1', extension: '100', number: '+79261234567', numberIsInternational: true, origin: 'mobile', line: null, knownNew: false,
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

  it('events persisted but not processed (the process stopped) are handled after a restart, once', async () => {
    const a = clickData();
    const b = clickData({}, '3', '+79161234567');
    await post(a);
    await post(b);
    // "Restart": a fresh service over the same database; the held processing never ran.
    const restarted = new CrmEvents({ events: h.eventsRepo, outbox: h.outbox, results: h.results, gateway: () => h.connection.gateway(), clickToCall: h.port, rules: h.rules, clock: h.clock });
    expect(await restarted.resumePending()).toBe(2);
    expect(h.port.originated.map((r) => r.crmCallId)).toEqual([a.CALL_ID, b.CALL_ID]);
    await h.settled();
    expect(h.port.originated).toHaveLength(2);
  });

  it('a click picked up long after it arrived is not dialled any more; the CRM call is finished', async () => {
    const data = clickData();
    await post(data);
    h.clock.advance(10 * 60_000);
    await h.settled();
    await h.worker.drainUntilIdle();
    expect(h.port.requests).toEqual([]);
    expect(h.double.state.calls.get(data.CALL_ID as string)?.finished).toMatchObject({ STATUS_CODE: '503' });
  });

  // The real outgoing-webhook capture from ../shared: a national PHONE_NUMBER of a US number.
  it.skipIf(!hasSharedData)('takes PHONE_NUMBER_INTERNATIONAL of the real 2020 capture (+17863342521, not 7863342521)', async () => {
    const captured = JSON.parse(fs.readFileSync(sharedPath('bitrix24-events', 'bitrix24-fusion-daemon', 'event.ONEXTERNALCALLSTART.outgoing-webhook.real-2020.json'), 'utf8')) as { data: Record<string, string> };
    await post(captured.data);
    await h.settled();
    expect(h.port.requests[0]).toMatchObject({ number: '+17863342521', numberIsInternational: true, userId: '1', line: null, origin: 'crm' });
  });
});

describe('fresh clicks with an intake journal: answered and dialled before they are stored', () => {
  /** An intake journal in memory (the file one has its own tests). */
  class MemoryEventJournal implements EventJournal {
    readonly recorded: JournaledEvent[] = [];
    readonly settled: string[] = [];
    open = true;
    record(e: JournaledEvent): void {
      this.recorded.push(e);
    }
    settle(_event: string, key: string): void {
      this.settled.push(key);
    }
    accepting(): boolean {
      return this.open;
    }
  }
  const nowSeconds = () => Math.floor(h.clock.now() / 1000);
  const event = (data: Record<string, string>, ts: number) => ({ event: 'ONEXTERNALCALLSTART', handlerId: '1055', data, ts, auth: {} });
  async function journaledEvents() {
    const journal = new MemoryEventJournal();
    const events = new CrmEvents({ events: h.eventsRepo, outbox: h.outbox, results: h.results, gateway: () => h.connection.gateway(), clickToCall: h.port, rules: h.rules, clock: h.clock, journal });
    await events.rememberRecentClicks();
    const works: Promise<void>[] = [];
    return { journal, events, works, run: (w: () => Promise<void>) => void works.push(w()) };
  }

  it('a fresh click is journaled, dialled as known-new and answered; its row follows and settles it; a repeat is not dialled', async () => {
    const { journal, events, works, run } = await journaledEvents();
    const data = clickData();
    expect(await events.accept(event(data, nowSeconds()), run)).toEqual({ status: 'accepted' });
    expect(journal.recorded.map((e) => e.eventKey)).toEqual([data.CALL_ID]);
    expect(await events.accept(event(data, nowSeconds()), run)).toEqual({ status: 'duplicate' });
    await Promise.all(works);
    expect(h.port.requests.map((r) => [r.crmCallId, r.knownNew])).toEqual([[data.CALL_ID, true]]);
    expect(journal.settled).toEqual([data.CALL_ID]);
    expect(await h.eventsRepo.listUnprocessed()).toEqual([]);
    expect((await h.eventsRepo.get(1))?.outcome).toBe('originated');
  });

  it('a fresh click whose row cannot be written at first is stored, finished and settled once the database is back, without a restart', async () => {
    const { journal, events, works, run } = await journaledEvents();
    const record = failingFirst(1, h.eventsRepo.record.bind(h.eventsRepo));
    h.eventsRepo.record = record.call;
    const data = clickData();
    expect(await events.accept(event(data, nowSeconds()), run)).toEqual({ status: 'accepted' });
    // Dialled at once; the row follows on the second try, a second later.
    await Promise.all(works);
    expect(h.port.requests.map((r) => [r.crmCallId, r.knownNew])).toEqual([[data.CALL_ID, true]]);
    expect(record.left()).toBe(0);
    expect(journal.settled).toEqual([data.CALL_ID]);
    expect(await h.eventsRepo.listUnprocessed()).toEqual([]);
    expect(await h.db('crm_events').select('event_key', 'state', 'outcome')).toEqual([{ event_key: data.CALL_ID, state: 'done', outcome: 'originated' }]);
  });

  it('a stop ends the retries of a click that could not be stored: it stays in the journal for the next start', async () => {
    const { journal, events, works, run } = await journaledEvents();
    h.eventsRepo.record = failingFirst(Number.POSITIVE_INFINITY, h.eventsRepo.record.bind(h.eventsRepo), 'SQLITE_FULL: database or disk is full').call;
    const data = clickData();
    await events.accept(event(data, nowSeconds()), run);
    await new Promise((r) => setTimeout(r, 50));
    events.stop();
    await Promise.all(works);
    expect(h.port.requests).toHaveLength(1);
    expect(journal.settled).toEqual([]);
    expect(await h.db('crm_events').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('the careful path (stored first, not known-new): a stale stamp, a CALL_ID registered long ago, a journal not accepting', async () => {
    const { journal, events, works, run } = await journaledEvents();
    await events.accept(event(clickData(), nowSeconds() - 11 * 60), run);
    // A fresh event ts on a CALL_ID Bitrix24 registered 40 minutes ago (a repeat the memory forgot).
    const old = clickData();
    const oldCallId = (old.CALL_ID as string).replace(/\.\d+$/, `.${nowSeconds() - 40 * 60}`);
    await events.accept(event({ ...old, CALL_ID: oldCallId }, nowSeconds()), run);
    // Stamped in the future beyond the allowed clock skew.
    await events.accept(event(clickData(), nowSeconds() + 5 * 60), run);
    journal.open = false;
    await events.accept(event(clickData(), nowSeconds()), run);
    await Promise.all(works);
    expect(h.port.requests.map((r) => r.knownNew)).toEqual([false, false, false, false]);
    expect(journal.recorded).toEqual([]);
  });

  it('after a restart, a repeat of a click received before it is still known: stored once, dialled once', async () => {
    const first = await journaledEvents();
    const data = clickData();
    await first.events.accept(event(data, nowSeconds()), first.run);
    await Promise.all(first.works);
    const restarted = await journaledEvents();
    const again = await restarted.events.accept(event(data, nowSeconds()), restarted.run);
    expect(again.status).toBe('duplicate');
    expect(restarted.works).toEqual([]);
    expect(h.port.requests).toHaveLength(1);
  });

  it('a click dialled before a restart and handled again after B24_MAX_DIAL_DELAY_S is not finished as "not dialled"', async () => {
    const { events, works, run } = await journaledEvents();
    const data = clickData();
    await events.accept(event(data, nowSeconds()), run);
    await Promise.all(works);
    // The stop came before its outcome was stored: it is handled again, much later.
    await h.eventsRepo.resetProcessing();
    await h.db('crm_events').update({ state: 'pending' });
    h.clock.advance(10 * 60_000);
    const restarted = new CrmEvents({ events: h.eventsRepo, outbox: h.outbox, results: h.results, gateway: () => h.connection.gateway(), clickToCall: h.port, rules: h.rules, clock: h.clock });
    expect(await restarted.resumePending()).toBe(1);
    await h.worker.drainUntilIdle();
    expect(h.port.requests).toHaveLength(1);
    expect(h.double.state.calls.get(data.CALL_ID as string)?.finished).toBeNull();
    expect((await h.eventsRepo.get(1))?.outcome).toBe('dialled before the restart');
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
