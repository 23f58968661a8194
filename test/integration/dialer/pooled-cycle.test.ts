import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { DialerRepository } from '../../../src/adapters/db/repositories/dialer-repository.ts';
import { CallsRepository } from '../../../src/adapters/db/repositories/calls-repository.ts';
import { CustomerLegs } from '../../../src/app/dialer/customer-leg.ts';
import { DialerCycle } from '../../../src/app/dialer/cycle.ts';
import type { DialerOriginate, DialerPbx } from '../../../src/app/dialer/ports.ts';
import { defaultPacing, type PacingSettings } from '../../../src/core/pacing/settings.ts';
import { compiled, department, RU_CARRIERS, trunk } from '../../unit/routing/support.ts';
import { tempSqliteDb } from '../../support/db.ts';

const MIN = 60_000;

/** A ratio campaign (2 calls per free operator) with one operator, on SQLite, a fake PBX and CRM card. */
async function setup(extra: Partial<PacingSettings> = {}) {
  const handle = await tempSqliteDb();
  const store = new DialerRepository(handle.db);
  let now = Date.UTC(2027, 0, 15, 9, 0);
  const clock = { now: () => now };
  const rules = compiled({ trunks: [trunk('sip', { callerIds: ['+74951230000'] })], departments: [department('10', { trunks: ['sip'] })] });
  const originated: DialerOriginate[] = [];
  const assigned: [string, string][] = [];
  const registered: { callId: string; operatorId: string; externalId: string }[] = [];
  const shown: [string, string][] = [];
  const pbx: DialerPbx = {
    connected: true,
    deviceStates: async (devices) => new Map(devices.map((d) => [d, 'NOT_INUSE'])),
    originate: async (r) => { originated.push(r); },
    assignOperator: async (channelId, operator) => { assigned.push([channelId, operator.id]); },
  };
  let id = 0;
  const cycle = new DialerCycle({
    store, pbx, clock, logger: silentLogger, newId: () => String(++id), timezoneOf: () => null, operatorRingSeconds: 20,
    card: {
      register: async (r) => { registered.push({ callId: r.callId, operatorId: r.operatorId, externalId: r.externalId }); },
      show: async (r) => { shown.push([r.callId, r.operatorId]); return true; },
    },
    legs: new CustomerLegs({ store: new CallsRepository(handle.db, clock.now), routing: { rules: { current: () => rules }, carriers: { current: () => RU_CARRIERS } }, clock, busyChannels: () => ({}), remember: () => undefined }),
  });
  await store.saveOperator({ id: '2', name: null, dial: 'PJSIP/101', stateDevice: 'PJSIP/101' }, now);
  await store.setOnline('2', true, null, now);
  const settings: PacingSettings = {
    ...defaultPacing('Europe/Moscow'), callingHours: { from: 0, to: 1440 },
    pooled: { mode: 'ratio', ratio: 2, abandonTargetPct: 3, abandonWindow: '24h', minOperators: 3 }, ...extra,
  };
  await store.saveCampaign({ id: 'c', name: 'c', status: 'running', department: '10', operators: ['2'], settings, source: null, createdAt: now });
  await store.addLeads('c', ['79261234561', '79261234562', '79261234563'].map((d) => ({ number: `+${d}`, digits: d, entityType: null, entityId: null, title: null })), now);
  const advance = (ms: number) => { now += ms; };
  /** The customer answers, is bridged to operator 2, talks `ms` and hangs up. */
  const talked = async (callId: string, ms = 0) => {
    await cycle.handle({ kind: 'answered', callId });
    await cycle.handle({ kind: 'bridged', callId, operatorId: '2' });
    advance(ms);
    await cycle.handle({ kind: 'customer-end', callId, dialStatus: 'ANSWER', hangupCause: 16 });
  };
  /** `ms` later, one pass: every call placed so far. */
  const dialledAfter = async (ms: number) => {
    advance(ms);
    await cycle.tick();
    return originated.map((o) => o.callId);
  };
  return { handle, store, calls: new CallsRepository(handle.db, clock.now), cycle, originated, assigned, registered, shown, advance, talked, dialledAfter, clock };
}

describe('the call cycle in ratio and predictive modes', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  afterEach(() => s.handle.close());

  it('dials ahead without tying calls to operators; the first customer to answer gets the free operator, the next hears the message', async () => {
    s = await setup();
    await s.cycle.tick();
    expect(s.originated.map((o) => [o.callId, o.operator])).toEqual([['c2c-dl-1', null], ['c2c-dl-2', null]]);
    expect((await s.store.listOperators())[0]?.callId).toBeNull();

    await s.cycle.handle({ kind: 'answered', callId: 'c2c-dl-2' });
    expect(s.assigned).toEqual([['c2c-dl-2-a', '2']]);
    expect((await s.store.listOperators())[0]?.callId).toBe('c2c-dl-2');
    // The card is registered for the operator who took the call (not when it was placed), then shown to them.
    expect(s.registered).toEqual([{ callId: 'c2c-dl-2', operatorId: '2', externalId: 'c2c-dl-2-a' }]);
    expect(s.shown).toEqual([['c2c-dl-2', '2']]);
    expect((await s.store.getAttempt('c2c-dl-2'))?.operatorId).toBe('2');
    // The call's record will go to the CRM for that operator.
    expect(await s.calls.getCall('c2c-dl-2')).toMatchObject({ userId: '2' });
    await s.cycle.handle({ kind: 'bridged', callId: 'c2c-dl-2', operatorId: '2' });

    // The operator is taken: the other customer waits, then the dialplan's message.
    await s.cycle.handle({ kind: 'answered', callId: 'c2c-dl-1' });
    expect(s.assigned).toHaveLength(1);
    await s.cycle.handle({ kind: 'abandoned', callId: 'c2c-dl-1' });
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'ANSWER', hangupCause: 16 });
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-2', dialStatus: 'ANSWER', hangupCause: 16 });
    const leads = await s.store.listLeads('c', 10);
    expect(leads.map((l) => [l.digits, l.lastOutcome])).toEqual(expect.arrayContaining([['79261234561', 'abandoned'], ['79261234562', 'answered']]));
    expect((await s.store.listOperators())[0]?.callId).toBeNull();
    // The window counts both answered customers and the drop.
    expect(await s.store.abandonCounts('c', s.clock.now() - 24 * 60 * MIN)).toEqual({ answered: 2, abandoned: 1, machines: 0 });
  });

  it('after a customer, the operator has the campaign\'s wrap-up: no customer is given to them and none dialled for them until it ends', async () => {
    s = await setup({ wrapUpSeconds: 10 });
    await s.cycle.tick();
    await s.talked('c2c-dl-2', 30_000);
    expect((await s.store.listOperators())[0]?.callId).toBeNull();

    // The other customer answers during the wrap-up: not given to the operator (the dialplan's message follows).
    s.advance(5_000);
    await s.cycle.handle({ kind: 'answered', callId: 'c2c-dl-1' });
    expect(s.assigned).toEqual([['c2c-dl-2-a', '2']]);
    await s.cycle.handle({ kind: 'abandoned', callId: 'c2c-dl-1' });
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'ANSWER', hangupCause: 16 });
    expect(await s.dialledAfter(0)).toHaveLength(2);
    // Once the 10 s are over, the operator is free again.
    expect(await s.dialledAfter(5_000)).toEqual(['c2c-dl-1', 'c2c-dl-2', 'c2c-dl-3']);
  });

  it('progressive too: the wrap-up follows a customer the operator talked to, not a call nobody answered', async () => {
    s = await setup({ pooled: null, wrapUpSeconds: 10 });
    await s.cycle.tick();
    expect(s.originated.map((o) => [o.callId, o.operator?.id])).toEqual([['c2c-dl-1', '2']]);
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'NOANSWER', hangupCause: 19 });
    expect(await s.dialledAfter(0)).toEqual(['c2c-dl-1', 'c2c-dl-2']);

    await s.talked('c2c-dl-2');
    expect(await s.dialledAfter(9_000)).toHaveLength(2);
    expect(await s.dialledAfter(1_000)).toEqual(['c2c-dl-1', 'c2c-dl-2', 'c2c-dl-3']);
  });

  it('a machine (AMD) is hung up on, needs no operator, and is called again as a no-answer', async () => {
    s = await setup({ amd: { falsePositivePct: 5 } });
    await s.cycle.tick();
    expect(s.originated[0]?.amd).toBe(true);
    await s.cycle.handle({ kind: 'machine', callId: 'c2c-dl-1' });
    await s.cycle.handle({ kind: 'customer-end', callId: 'c2c-dl-1', dialStatus: 'ANSWER', hangupCause: 16 });
    const lead = (await s.store.listLeads('c', 10)).find((l) => l.digits === '79261234561');
    expect(lead).toMatchObject({ status: 'pending', lastOutcome: 'machine', nextAt: s.clock.now() + 90 * MIN });
    expect(s.assigned).toEqual([]);
    expect(await s.store.abandonCounts('c', 0)).toEqual({ answered: 0, abandoned: 0, machines: 1 });
  });
});

describe('the abandoned-rate window of a predictive campaign', () => {
  it('reads the stored calls of the last 24 h, or 30 days when selected, and counts the machine verdicts\' live share both ways', async () => {
    const { PooledCalls } = await import('../../../src/app/dialer/pooled.ts');
    const asked: number[] = [];
    let machines = 20;
    let answered = 97;
    const store = {
      abandonCounts: async (_campaign: string, since: number) => { asked.push(since); return { answered, abandoned: 2, machines }; },
      setAttemptOperator: async () => undefined,
      recentEndedAttempts: async () => [],
    };
    const now = Date.UTC(2027, 0, 15, 9, 0);
    const campaign = (window: '24h' | '30d') => ({
      id: window, name: window, status: 'running' as const, department: '10', operators: ['2'], source: null, createdAt: 0,
      settings: { ...defaultPacing('Europe/Moscow'), pooled: { mode: 'predictive' as const, ratio: 1.2, abandonTargetPct: 3, abandonWindow: window, minOperators: 3 }, amd: { falsePositivePct: 5 } },
    });
    const pooled = new PooledCalls(store);
    // 40 recent calls, half answered and talked 10 s: enough to estimate from.
    for (let i = 0; i < 40; i++) {
      const id = `call-${i}`;
      pooled.placed(id, '24h', now - 20_000);
      if (i % 2 === 0) {
        pooled.answered(id, now - 10_000);
        pooled.bridged(id, now - 10_000, 3);
      }
      pooled.ended(id, now);
    }
    // 2 drops + 5 % of 20 machines = 3 of 97 + 1 answered: one more drop would pass 3 %.
    expect(await pooled.decide(campaign('24h'), 5, 2, now)).toMatchObject({ mode: 'progressive', dial: 2, why: 'the abandoned rate is at the target' });
    // Without the machines, and with more customers answered: predictive.
    machines = 0;
    answered = 200;
    expect(await pooled.decide(campaign('24h'), 5, 2, now + 10_000)).toMatchObject({ mode: 'predictive' });
    await pooled.decide(campaign('30d'), 5, 2, now);
    expect(asked).toEqual([now - 24 * 60 * MIN, now + 10_000 - 24 * 60 * MIN, now - 30 * 24 * 60 * MIN]);
  });
});

describe('operators in after-call work on a predictive campaign\'s floor', () => {
  it('are counted free when their wrap-up ends: more calls go out for them than for operators still talking', async () => {
    const { PooledCalls } = await import('../../../src/app/dialer/pooled.ts');
    const store = { abandonCounts: async () => ({ answered: 1000, abandoned: 5, machines: 0 }), setAttemptOperator: async () => undefined, recentEndedAttempts: async () => [] };
    const now = Date.UTC(2027, 0, 15, 9, 0);
    const campaign = {
      id: 'p', name: 'p', status: 'running' as const, department: '10', operators: ['1', '2', '3', '4', '5', '6'], source: null, createdAt: 0,
      settings: { ...defaultPacing('Europe/Moscow'), wrapUpSeconds: 10, pooled: { mode: 'predictive' as const, ratio: 1.2, abandonTargetPct: 3, abandonWindow: '24h' as const, minOperators: 3 } },
    };
    const pooled = new PooledCalls(store);
    // 60 calls, one in three answered after 8 s and talked 90 s, each followed by a 10 s wrap-up.
    for (let i = 0; i < 60; i++) {
      pooled.placed(`call-${i}`, 'p', now - 200_000);
      if (i % 3 === 0) {
        pooled.answered(`call-${i}`, now - 192_000);
        pooled.bridged(`call-${i}`, now - 192_000, 3);
      }
      pooled.ended(`call-${i}`, i % 3 === 0 ? now - 102_000 : now - 175_000, 10_000);
    }
    // Six operators, none free: four 2 s from the end of their wrap-up, or (as far as the floor tells) none.
    const wrapping = await pooled.decide(campaign, 6, 0, now, [2_000, 2_000, 2_000, 2_000]);
    const none = await pooled.decide(campaign, 6, 0, now, []);
    expect(wrapping.mode).toBe('predictive');
    expect(wrapping.dial).toBeGreaterThan(none.dial);
  });
});

describe('a predictive campaign after a restart', () => {
  it('rebuilds its pacing history from the stored calls: it goes on predictive, not progressive until 30 new calls', async () => {
    const { PooledCalls } = await import('../../../src/app/dialer/pooled.ts');
    const handle = await tempSqliteDb();
    try {
      const store = new DialerRepository(handle.db);
      const now = Date.UTC(2027, 0, 15, 9, 0);
      const settings: PacingSettings = { ...defaultPacing('Europe/Moscow'), pooled: { mode: 'predictive', ratio: 1.2, abandonTargetPct: 3, abandonWindow: '24h', minOperators: 3 } };
      const campaign = { id: 'p', name: 'p', status: 'running' as const, department: '10', operators: ['1', '2', '3', '4', '5'], settings, source: null, createdAt: now - 60 * MIN };
      await store.saveCampaign(campaign);
      await store.addLeads('p', [{ number: '+79261234561', digits: '79261234561', entityType: null, entityId: null, title: null }], now);
      const [lead] = await store.listLeads('p', 1);
      // The previous run's last hour: 120 calls, one in three answered after 8 s and talked 90 s.
      for (let i = 0; i < 120; i++) {
        const at = now - 60 * MIN + i * 20_000;
        const callId = `c2c-dl-${i}`;
        await store.startAttempt({ leadId: lead!.id, campaignId: 'p', operatorId: null, callId, mode: 'progressive', startedAt: at });
        const answered = i % 3 === 0;
        if (answered) await store.markAnswered(callId, at + 8_000);
        await store.endAttempt(callId, { outcome: answered ? 'answered' : 'no-answer', dialStatus: answered ? 'ANSWER' : 'NOANSWER', hangupCause: 16, endedAt: at + (answered ? 98_000 : 25_000) },
          () => ({ kind: 'retry', at: now, reserveOperator: false }));
      }
      const restarted = new PooledCalls(store);
      const decision = await restarted.decide(campaign, 20, 10, now);
      expect(decision).toMatchObject({ mode: 'predictive', why: expect.stringContaining('answer 33 %') });
      // Ten free operators, one in three answering: more calls than free operators.
      expect(decision.dial).toBeGreaterThan(10);
      // A process that knows nothing stored starts progressive.
      await handle.db('dialer_attempts').delete();
      expect(await new PooledCalls(store).decide(campaign, 20, 10, now)).toMatchObject({ mode: 'progressive', dial: 10, why: expect.stringContaining('too few recent calls') });
    } finally {
      await handle.close();
    }
  });
});
