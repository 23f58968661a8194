import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { DialerRepository } from '../../../src/adapters/db/repositories/dialer-repository.ts';
import { CallsRepository } from '../../../src/adapters/db/repositories/calls-repository.ts';
import { CustomerLegs } from '../../../src/app/dialer/customer-leg.ts';
import { DialerCycle } from '../../../src/app/dialer/cycle.ts';
import type { DialerOriginate, DialerPbx, LeadCard } from '../../../src/app/dialer/ports.ts';
import { defaultPacing } from '../../../src/core/pacing/settings.ts';
import { compiled, department, RU_CARRIERS, trunk } from '../../unit/routing/support.ts';
import { tempSqliteDb } from '../../support/db.ts';

const MIN = 60_000;

/** The cycle with the real store (SQLite), the real routing, a fake PBX and a fake CRM card. */
async function setup(o: { states?: Record<string, string>; refuse?: boolean; pbxDown?: boolean } = {}) {
  const handle = await tempSqliteDb();
  const store = new DialerRepository(handle.db);
  let now = Date.UTC(2027, 0, 15, 9, 0); // 12:00 in Moscow
  const clock = { now: () => now };
  const rules = compiled({
    trunks: [trunk('sip', { callerIds: ['+74951230000'] })],
    departments: [department('10', { trunks: o.refuse ? [] : ['sip'] }), department('20', null)],
  });
  const originated: DialerOriginate[] = [];
  const card = { registered: [] as unknown[], shown: [] as [string, string][] };
  const pbx: DialerPbx = {
    connected: true,
    deviceStates: async (devices) => new Map(devices.map((d) => [d, o.states?.[d] ?? 'NOT_INUSE'])),
    originate: async (r) => {
      if (o.pbxDown) throw new Error('AMI not connected');
      originated.push(r);
    },
  };
  const lead: LeadCard = {
    register: async (input) => { card.registered.push(input); },
    show: async ({ callId, operatorId }) => { card.shown.push([callId, operatorId]); return true; },
  };
  let id = 0;
  const deps: ConstructorParameters<typeof DialerCycle>[0] = {
    store, pbx, card: lead, clock, logger: silentLogger, newId: () => String(++id), timezoneOf: () => null, operatorRingSeconds: 20,
    legs: new CustomerLegs({ store: new CallsRepository(handle.db, clock.now), routing: { rules: { current: () => rules }, carriers: { current: () => RU_CARRIERS } }, clock, busyChannels: () => ({}), remember: () => undefined }),
  };
  const cycle = new DialerCycle(deps);
  await store.saveOperator({ id: '2', name: null, dial: 'PJSIP/101', stateDevice: 'PJSIP/101' }, now);
  await store.setOnline('2', true, null, now);
  await store.saveCampaign({ id: 'c', name: 'c', status: 'running', department: o.refuse ? '20' : '10', operators: ['2'], settings: defaultPacing('Europe/Moscow'), source: null, createdAt: now });
  await store.addLeads('c', [{ number: '+79261234567', digits: '79261234567', entityType: 'LEAD', entityId: '7', title: null }], now);
  return { handle, store, cycle, deps, originated, card, advance: (ms: number) => { now += ms; }, clock };
}

describe('the call cycle', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    s = await setup();
    return () => s.handle.close();
  });

  it('one call per free operator: held, registered with the lead, routed by the department, originated', async () => {
    await s.cycle.tick();
    await s.cycle.tick(); // the operator is held: nothing more
    expect(s.originated).toHaveLength(1);
    expect(s.originated[0]).toMatchObject({ mode: 'progressive', digits: '79261234567', operator: { id: '2' }, callId: 'c2c-dl-1', channelId: 'c2c-dl-1-a', ringSeconds: 30 });
    expect(s.card.registered).toEqual([expect.objectContaining({ operatorId: '2', e164: '+79261234567', entityType: 'LEAD', entityId: '7' })]);
    expect((await s.store.listOperators())[0]?.callId).toBe('c2c-dl-1');
  });

  it('answered: the card is shown to the operator; the lead is done and the operator free', async () => {
    await s.cycle.tick();
    await s.cycle.handle({ kind: 'answered', callId: 'c2c-dl-1' });
    await s.cycle.handle({ kind: 'bridged', callId: 'c2c-dl-1', operatorId: '2' });
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'ANSWER', hangupCause: 16 });
    expect(s.card.shown).toEqual([['c2c-dl-1', '2']]);
    expect((await s.store.listLeads('c', 10))[0]).toMatchObject({ status: 'done', lastOutcome: 'answered', attempts: 1 });
    expect((await s.store.listOperators())[0]?.callId).toBeNull();
  });

  it('no answer: called again 90 min later, not before', async () => {
    await s.cycle.tick();
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'NOANSWER', hangupCause: 16 });
    const lead = (await s.store.listLeads('c', 10))[0]!;
    expect(lead).toMatchObject({ status: 'pending', lastOutcome: 'no-answer', nextAt: s.clock.now() + 90 * MIN });
    s.advance(89 * MIN);
    await s.cycle.tick();
    expect(s.originated).toHaveLength(1);
    s.advance(MIN);
    await s.cycle.tick();
    expect(s.originated).toHaveLength(2);
  });

  it('answered but the operator missed it: abandoned, operator off line, the retry reserved and operator first', async () => {
    await s.cycle.tick();
    await s.cycle.handle({ kind: 'answered', callId: 'c2c-dl-1' });
    await s.cycle.handle({ kind: 'operator-missed', callId: 'c2c-dl-1', operatorId: '2', dialStatus: 'NOANSWER' });
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'ANSWER', hangupCause: 16 });
    expect((await s.store.listLeads('c', 10))[0]).toMatchObject({ lastOutcome: 'abandoned', reserveOperator: true, nextAt: s.clock.now() + 10 * MIN });
    expect((await s.store.listOperators())[0]).toMatchObject({ online: false, offlineReason: 'did not answer an offered call (NOANSWER)' });
    await s.store.setOnline('2', true, null, s.clock.now());
    s.advance(10 * MIN);
    await s.cycle.tick();
    expect(s.originated[1]?.mode).toBe('preview');
  });

  it('an operator the PBX reports in a call gets nothing', async () => {
    const busy = await setup({ states: { 'PJSIP/101': 'INUSE' } });
    await busy.cycle.tick();
    expect(busy.originated).toEqual([]);
    await busy.handle.close();
  });

  it('the routing refuses the customer call: nothing is dialled, technical retry in 10 min, operator free', async () => {
    const refused = await setup({ refuse: true });
    await refused.cycle.tick();
    expect(refused.originated).toEqual([]);
    expect((await refused.store.listLeads('c', 10))[0]).toMatchObject({ status: 'pending', lastOutcome: 'technical', nextAt: refused.clock.now() + 10 * MIN });
    expect((await refused.store.listOperators())[0]?.callId).toBeNull();
    await refused.handle.close();
  });
});

describe('the PBX cannot be asked to dial', () => {
  it('the stored call ends as unavailable (503) and goes to the CRM, which finishes the card; technical retry in 10 min, operator free', async () => {
    const s = await setup({ pbxDown: true });
    await s.cycle.tick();
    expect(s.card.registered).toHaveLength(1);
    const call = await new CallsRepository(s.handle.db, s.clock.now).getCall('c2c-dl-1');
    expect(call).toMatchObject({ state: 'ended', statusCode: '503', origin: 'dialer', crmHandoff: 'pending' });
    expect(call?.failedReason).toContain('AMI not connected');
    expect((await s.store.listLeads('c', 10))[0]).toMatchObject({ status: 'pending', lastOutcome: 'technical', nextAt: s.clock.now() + 10 * MIN });
    expect((await s.store.listOperators())[0]?.callId).toBeNull();
    await s.handle.close();
  });
});

describe('a call whose end was never reported (a restart)', () => {
  it('is closed after 15 minutes: lead retried as a technical error, operator free again', async () => {
    const s = await setup();
    await s.cycle.tick();
    const fresh = new DialerCycle(s.deps); // the process restarted: it knows nothing of the call
    s.advance(16 * MIN);
    await fresh.tick();
    expect((await s.store.listLeads('c', 10))[0]).toMatchObject({ lastOutcome: 'technical', attempts: 1 });
    // The operator was freed by the sweep and got the lead's retry (or nothing, if not yet due) — never stuck.
    expect((await s.store.listOperators())[0]?.callId).not.toBe('c2c-dl-1');
    await s.handle.close();
  });
});
