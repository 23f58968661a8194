import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { compiled, department, gsm, RU_CARRIERS, trunk } from './support.ts';

const trunks = [
  gsm('gsm-mts', 'mts', '+79161230001'),
  gsm('gsm-off', 'megafon', '+79261230002', { enabled: false }),
  gsm('gsm-full', 'beeline', '+79031230003', { channels: 1 }),
  trunk('sip-other'),
  trunk('zorra'),
];
const rules = compiled({
  trunks,
  departments: [department('10', { trunks: ['gsm-mts', 'gsm-off', 'gsm-full', 'zorra'], defaultTrunk: 'gsm-mts' })],
  callerIds: { main: '+74951230000' },
});
const request = { user: '1', number: '8 916 123-45-67', origin: 'phone' as const, busyChannels: { 'gsm-full': 1 } };

describe('explanations are built only when asked for (DECISIONS §28)', () => {
  it('the hot path returns no trace and no reasons', () => {
    const d = decideRoute(rules, RU_CARRIERS, request);
    expect(d.trace).toBeUndefined();
    for (const a of d.attempts) {
      expect(a.reason).toBeUndefined();
      expect(a.callerIdReason).toBeUndefined();
    }
  });

  it('the explained decision is the same decision', () => {
    const fast = decideRoute(rules, RU_CARRIERS, request);
    const explained = decideRoute(rules, RU_CARRIERS, request, { explain: true });
    expect(explained.attempts.map(({ reason: _r, callerIdReason: _c, ...a }) => a)).toEqual(fast.attempts);
  });

  it('says why every trunk of the rules is in the list or not', () => {
    const d = decideRoute(rules, RU_CARRIERS, request, { explain: true });
    const trace = d.trace ?? [];
    const line = (id: string) => trace.find((l) => l.startsWith(`trunk ${id} `)) ?? '';
    expect(trace[0]).toContain('+79161234567');
    expect(trace[1]).toContain('carrier: mts');
    expect(line('gsm-mts')).toMatch(/attempt 1, tier on-net.*also qualifies for default/);
    expect(line('gsm-off')).toContain('disabled');
    expect(line('gsm-full')).toContain('no free channel');
    expect(line('sip-other')).toContain('not in the whitelist');
    expect(line('zorra')).toContain('attempt 2, tier universal');
    expect(trace.some((l) => l.startsWith('caller ID on zorra: none'))).toBe(true);
    expect(d.attempts[0]?.reason).toContain('on-net');
    expect(d.attempts[0]?.callerIdReason).toContain('its own number');
  });

  it('explains a GSM trunk left out of an international call', () => {
    const d = decideRoute(rules, RU_CARRIERS, { ...request, number: '+44 20 7946 0958' }, { explain: true });
    expect(d.trace?.find((l) => l.startsWith('trunk gsm-mts '))).toContain('international');
  });
});
