import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import type { RouteRequest } from '../../../src/core/routing/types.ts';
import { compiled, department, fakeCarriers, gsm, landline, mobile, RU_CARRIERS, trunk, user } from './support.ts';

const call = (number: string, over: Partial<RouteRequest> = {}): RouteRequest => ({ user: '1', number, origin: 'crm', ...over });
const trunksOf = (d: { attempts: readonly { trunk: string }[] }) => d.attempts.map((a) => a.trunk);

describe('seed 000: the mask table picks the most specific provider first, Zorra last', () => {
  // Prices are set against the mask order on purpose: specificity, not price, orders the mask tier.
  const rules = compiled({
    trunks: [
      trunk('megafon-plugin-1', { name: 'Мегафон плагин №1', tariffs: { byCarrier: {}, byPrefix: [], default: 3 } }),
      trunk('beeline', { name: 'Билайн', tariffs: { byCarrier: {}, byPrefix: [], default: 2 } }),
      trunk('miatel', { name: 'Миател', tariffs: { byCarrier: {}, byPrefix: [], default: 1 } }),
      trunk('zorra', { name: 'Zorra (универсальный)', tariffs: { byCarrier: {}, byPrefix: [], default: 0.5 } }),
    ],
    departments: [department('10', { trunks: ['megafon-plugin-1', 'beeline', 'miatel', 'zorra'], offNetFallback: false })],
    masks: [
      { mask: '+7928*******', trunk: 'megafon-plugin-1', priority: 1 },
      { mask: '+79*********', trunk: 'beeline', priority: 1 },
      { mask: '+7**********', trunk: 'miatel', priority: 1 },
    ],
  });
  const unknownCarriers = fakeCarriers({});

  it.each([
    ['+79281234567', ['megafon-plugin-1', 'beeline', 'miatel', 'zorra']],
    ['+79261234567', ['beeline', 'miatel', 'zorra']],
    ['+74951234567', ['miatel', 'zorra']],
    ['+442079460958', ['zorra']],
  ])('%s → %j', (number, expected) => {
    const d = decideRoute(rules, unknownCarriers, call(number));
    expect(d.refused).toBeNull();
    expect(trunksOf(d)).toEqual(expected);
    expect(new Set(d.attempts.map((a) => a.tier))).toEqual(new Set(expected.map((t) => (t === 'zorra' ? 'universal' : 'mask'))));
  });

  it('masks of equal specificity: cheaper first, then the mask priority', () => {
    const r = compiled({
      trunks: [
        trunk('a', { tariffs: { byCarrier: {}, byPrefix: [], default: 1 } }),
        trunk('b', { tariffs: { byCarrier: {}, byPrefix: [], default: 1 } }),
        trunk('c', { tariffs: { byCarrier: {}, byPrefix: [], default: 0.5 } }),
      ],
      masks: [
        { mask: '+79*********', trunk: 'a', priority: 2 },
        { mask: '+79*********', trunk: 'b', priority: 1 },
        { mask: '+79*********', trunk: 'c', priority: 3 },
      ],
    });
    expect(trunksOf(decideRoute(r, unknownCarriers, call('+79261234567')))).toEqual(['c', 'b', 'a']);
  });
});

describe('DECISIONS §5 tiers: on-net → mask → default → universal → off-net', () => {
  const trunks = [
    gsm('gsm-mts', 'mts', '+79161230001', { tariffs: { byCarrier: { mts: 0.1 }, byPrefix: [], default: 1.8 } }),
    gsm('gsm-megafon', 'megafon', '+79261230002'),
    gsm('gsm-beeline', 'beeline', '+79031230003', { tariffs: { byCarrier: { beeline: 0.1 }, byPrefix: [], default: 1.5 } }),
    gsm('gsm-tele2', 'tele2', '+79771230004', { tariffs: { byCarrier: { tele2: 0.1 }, byPrefix: [], default: 3 } }),
    trunk('zorra'),
  ];
  // No catch-all mask here (DECISIONS §5's caveat): unknown carriers must reach the default trunk.
  const rules = compiled({
    trunks,
    departments: [department('10', { trunks: trunks.map((t) => t.id), defaultTrunk: 'gsm-beeline' })],
  });

  it('a known mobile carrier goes through its own gateway first', () => {
    const d = decideRoute(rules, RU_CARRIERS, call('+79161234567'));
    expect(d.attempts[0]).toMatchObject({ trunk: 'gsm-mts', tier: 'on-net', perMinute: 0.1 });
  });

  it('seed 004: carrier unknown → the default trunk (Beeline), then the universal trunk, then off-net cheapest first', () => {
    const d = decideRoute(rules, RU_CARRIERS, call('+79501234567'));
    expect(d.carrier.source).toBe('unknown');
    expect(trunksOf(d)).toEqual(['gsm-beeline', 'zorra', 'gsm-mts', 'gsm-megafon', 'gsm-tele2']);
    expect(d.attempts.map((a) => a.tier)).toEqual(['default', 'universal', 'off-net', 'off-net', 'off-net']);
  });

  it('a trunk appears once, at its first tier (the default Beeline trunk is on-net for a Beeline number)', () => {
    const d = decideRoute(rules, RU_CARRIERS, call('+79031234567'));
    expect(trunksOf(d).filter((t) => t === 'gsm-beeline')).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ trunk: 'gsm-beeline', tier: 'on-net' });
  });

  it('DECISIONS §4: a landline range held by MTS is not on-net for the MTS SIM', () => {
    const d = decideRoute(rules, RU_CARRIERS, call('+74951234567'));
    expect(d.attempts.some((a) => a.tier === 'on-net')).toBe(false);
    expect(d.attempts[0]?.trunk).toBe('gsm-beeline');
  });

  it('a virtual operator rides on its host: on-net is the carrier index\'s onNet key', () => {
    const carriers = fakeCarriers({ '7999': mobile('sber-mobile', 'tele2') });
    const d = decideRoute(rules, carriers, call('+79991234567'));
    expect(d.attempts[0]).toMatchObject({ trunk: 'gsm-tele2', tier: 'on-net' });
  });

  it('off-net trunks are ordered cheapest first, then priority, then id', () => {
    const r = compiled({
      trunks: [
        trunk('z', { priority: 1, tariffs: { byCarrier: {}, byPrefix: [], default: 2 } }),
        trunk('y', { priority: 5, carrier: 'x', tariffs: { byCarrier: {}, byPrefix: [], default: 1 } }),
        trunk('b', { priority: 2, carrier: 'x', tariffs: { byCarrier: {}, byPrefix: [], default: 2 } }),
        trunk('a', { priority: 2, carrier: 'x', tariffs: { byCarrier: {}, byPrefix: [], default: 2 } }),
      ],
      departments: [department('10', { trunks: ['z', 'y', 'b', 'a'] })],
    });
    const d = decideRoute(r, RU_CARRIERS, call('+74951234567'));
    // z has no carrier and no mask: universal, before the off-net tier.
    expect(trunksOf(d)).toEqual(['z', 'y', 'a', 'b']);
  });

  it('prices: the longest destination prefix beats the carrier price, which beats the default', () => {
    const r = compiled({
      trunks: [
        trunk('p', { carrier: 'x', tariffs: { byCarrier: { mts: 0.9 }, byPrefix: [{ prefix: '79', perMinute: 0.7 }, { prefix: '7916', perMinute: 0.2 }], default: 5 } }),
      ],
    });
    expect(decideRoute(r, RU_CARRIERS, call('+79161234567')).attempts[0]?.perMinute).toBe(0.2);
    expect(decideRoute(r, RU_CARRIERS, call('+79261234567')).attempts[0]?.perMinute).toBe(0.7);
    expect(decideRoute(r, RU_CARRIERS, call('+74951234567')).attempts[0]?.perMinute).toBe(0.9);
    expect(decideRoute(r, RU_CARRIERS, call('+442079460958')).attempts[0]?.perMinute).toBe(5);
  });

  it('the off-net tier can be switched off per department', () => {
    const r = compiled({ trunks, departments: [department('10', { trunks: trunks.map((t) => t.id), defaultTrunk: 'gsm-beeline', offNetFallback: false })] });
    expect(trunksOf(decideRoute(r, RU_CARRIERS, call('+79161234567')))).toEqual(['gsm-mts', 'gsm-beeline', 'zorra']);
  });
});

describe('cap, availability and international calls', () => {
  const many = Array.from({ length: 8 }, (_, i) => trunk(`t${i}`, { carrier: 'x', priority: i }));

  it('at most maxAttempts attempts (default 5)', () => {
    const d = decideRoute(compiled({ trunks: many }), RU_CARRIERS, call('+79161234567'));
    expect(trunksOf(d)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const three = decideRoute(compiled({ trunks: many, maxAttempts: 3 }), RU_CARRIERS, call('+79161234567'));
    expect(three.attempts).toHaveLength(3);
  });

  it('disabled, full and down trunks are skipped', () => {
    const r = compiled({
      trunks: [
        trunk('off', { carrier: 'x', priority: 1, enabled: false }),
        trunk('full', { carrier: 'x', priority: 2, channels: 2 }),
        trunk('down', { carrier: 'x', priority: 3 }),
        trunk('free', { carrier: 'x', priority: 4, channels: 2 }),
      ],
    });
    const d = decideRoute(r, RU_CARRIERS, call('+79161234567', { busyChannels: { full: 2, free: 1 }, downTrunks: ['down'] }));
    expect(trunksOf(d)).toEqual(['free']);
  });

  it('every allowed trunk unavailable → refused NO_ALLOWED_TRUNK, no attempts', () => {
    const r = compiled({ trunks: [trunk('only', { channels: 1 })] });
    const d = decideRoute(r, RU_CARRIERS, call('+79161234567', { busyChannels: { only: 1 } }));
    expect(d.refused?.code).toBe('NO_ALLOWED_TRUNK');
    expect(d.attempts).toEqual([]);
  });

  it('international destinations never go through a GSM trunk unless it allows them', () => {
    const r = compiled({
      trunks: [
        gsm('gsm-plain', 'mts', '+79161230001'),
        gsm('gsm-intl', 'megafon', '+79261230002', { international: true }),
        trunk('sip'),
      ],
    });
    for (const number of ['+442079460958', '+77011234567' /* Kazakhstan, +7 7xx */]) {
      const d = decideRoute(r, RU_CARRIERS, call(number));
      expect(trunksOf(d)).not.toContain('gsm-plain');
      expect(trunksOf(d)).toContain('gsm-intl');
    }
    expect(trunksOf(decideRoute(r, RU_CARRIERS, call('+79161234567')))).toContain('gsm-plain');
  });
});

describe('DECISIONS §8: department policies', () => {
  const trunks = [trunk('a', { carrier: 'x' }), trunk('b', { carrier: 'x' }), trunk('c', { carrier: 'x' })];

  it('nested departments inherit the nearest policy up the tree', () => {
    const r = compiled({
      trunks,
      departments: [department('1', { trunks: ['a'] }), department('2', null, '1'), department('3', { trunks: ['b'] }, '2'), department('4', null, '3')],
      users: [user('1', ['4']), user('2', ['2'])],
    });
    expect(trunksOf(decideRoute(r, RU_CARRIERS, call('+79161234567', { user: '1' })))).toEqual(['b']);
    expect(trunksOf(decideRoute(r, RU_CARRIERS, call('+79161234567', { user: '2' })))).toEqual(['a']);
  });

  it('several departments → the union of their trunks, and the decision names both', () => {
    const r = compiled({
      trunks,
      departments: [department('10', { trunks: ['a'] }), department('20', { trunks: ['c'] })],
      users: [user('1', ['10', '20'])],
    });
    const d = decideRoute(r, RU_CARRIERS, call('+79161234567'), { explain: true });
    expect(trunksOf(d).sort()).toEqual(['a', 'c']);
    expect(d.departments).toEqual(['10', '20']);
    expect(d.trace?.some((l) => l.includes('union'))).toBe(true);
  });

  it('no policy anywhere up the tree → refused NO_POLICY', () => {
    const r = compiled({ trunks, departments: [department('1', null), department('2', null, '1')], users: [user('1', ['2'])] });
    const d = decideRoute(r, RU_CARRIERS, call('+79161234567'));
    expect(d.refused?.code).toBe('NO_POLICY');
    expect(d.attempts).toEqual([]);
  });

  it('trunks outside the whitelist never appear', () => {
    const r = compiled({ trunks, departments: [department('10', { trunks: ['b'] })] });
    expect(trunksOf(decideRoute(r, RU_CARRIERS, call('+79161234567')))).toEqual(['b']);
  });

  it('the caller is found by user id or by extension; unknown → UNKNOWN_USER', () => {
    const r = compiled({ trunks, users: [user('7', ['10'], '107')] });
    expect(decideRoute(r, RU_CARRIERS, call('+79161234567', { user: '7' })).refused).toBeNull();
    const byExt = decideRoute(r, RU_CARRIERS, call('+79161234567', { user: null, extension: '107' }));
    expect(byExt).toMatchObject({ user: '7', refused: null });
    expect(decideRoute(r, RU_CARRIERS, call('+79161234567', { user: '8' })).refused?.code).toBe('UNKNOWN_USER');
    expect(decideRoute(r, RU_CARRIERS, call('+79161234567', { user: null, extension: '999' })).refused?.code).toBe('UNKNOWN_USER');
    expect(decideRoute(r, RU_CARRIERS, call('+79161234567', { user: null })).refused?.code).toBe('UNKNOWN_USER');
  });
});

describe('HR: exactly two numbers, each bound to one route (seed 004)', () => {
  const trunks = [
    gsm('hr-mts', 'mts', '+79161230101'),
    gsm('hr-beeline', 'beeline', '+79031230102'),
    gsm('sales-mts', 'mts', '+79161230001'),
    gsm('sales-megafon', 'megafon', '+79261230002'),
    trunk('zorra'),
  ];
  const rules = compiled({
    trunks,
    departments: [
      department('10', { trunks: ['sales-mts', 'sales-megafon', 'zorra'] }),
      department('20', { trunks: ['hr-mts', 'hr-beeline'], defaultTrunk: 'hr-beeline' }),
    ],
    users: [user('4', ['20'])],
  });

  it.each(['+79161234567', '+79261234567', '+79031234567', '+79501234567', '+74951234567'])('HR calling %s only uses its two trunks, each with its own number', (number) => {
    const d = decideRoute(rules, landlineAware(), call(number, { user: '4' }));
    expect(d.attempts.length).toBeGreaterThan(0);
    for (const a of d.attempts) {
      expect(['hr-mts', 'hr-beeline']).toContain(a.trunk);
      expect(a.callerId).toBe(a.trunk === 'hr-mts' ? '+79161230101' : '+79031230102');
    }
  });
});

function landlineAware() {
  return fakeCarriers({ '7916': mobile('mts'), '7926': mobile('megafon'), '7903': mobile('beeline'), '7495': landline('mts') });
}
