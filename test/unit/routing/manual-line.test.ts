import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import type { RouteRequest } from '../../../src/core/routing/types.ts';
import { compiled, department, gsm, RU_CARRIERS, trunk, user } from './support.ts';

const trunks = [
  gsm('gsm-mts', 'mts', '+79161230001', { line: 'mts' }),
  gsm('gsm-beeline', 'beeline', '+79031230003', { line: 'beeline', channels: 1 }),
  trunk('sip', { line: 'sip', callerIds: ['+74951234500', '+74951234510'] }),
  gsm('gsm-hr', 'mts', '+79161230101', { line: 'hr' }),
];
const rules = (rotateAfterManualLine: boolean) =>
  compiled({
    trunks,
    departments: [
      department('10', { trunks: ['gsm-mts', 'gsm-beeline', 'sip'], rotateAfterManualLine }),
      department('20', { trunks: ['gsm-hr'] }),
    ],
    users: [user('1', ['10']), user('4', ['20'])],
    callerIds: { main: '+74951234510' },
  });
const call = (line: string | null, over: Partial<RouteRequest> = {}): RouteRequest => ({ user: '1', number: '+79161234567', origin: 'crm', line, ...over });

describe('manual line (DECISIONS §7)', () => {
  it('is tried first, and by default it is the only attempt (not rotated away from)', () => {
    const d = decideRoute(rules(false), RU_CARRIERS, call('beeline'));
    expect(d.attempts.map((a) => [a.trunk, a.tier])).toEqual([['gsm-beeline', 'manual']]);
    expect(d.manualLine).toBe('beeline');
    expect(d.rotateAfterManualLine).toBe(false);
  });

  it('is followed by the usual order when the department opts in to rotation', () => {
    const d = decideRoute(rules(true), RU_CARRIERS, call('beeline'));
    expect(d.attempts.map((a) => a.trunk)).toEqual(['gsm-beeline', 'gsm-mts', 'sip']);
    expect(d.attempts[1]?.tier).toBe('on-net');
    expect(d.rotateAfterManualLine).toBe(true);
  });

  it('fixes the caller ID to the line\'s own number, whatever the caller-ID rules say', () => {
    const d = decideRoute(rules(false), RU_CARRIERS, call('sip'));
    expect(d.attempts[0]).toMatchObject({ trunk: 'sip', callerId: '+74951234500' });
    // Automatic routing on the same trunk follows the rules (main number here).
    const auto = decideRoute(rules(false), RU_CARRIERS, call(null, { number: '+442079460958' }));
    expect(auto.attempts.find((a) => a.trunk === 'sip')?.callerId).toBe('+74951234510');
  });

  it.each([null, '', '  ', 'auto', 'AUTO'])('line %j means automatic routing', (line) => {
    const d = decideRoute(rules(false), RU_CARRIERS, call(line));
    expect(d.manualLine).toBeNull();
    expect(d.attempts[0]).toMatchObject({ trunk: 'gsm-mts', tier: 'on-net' });
    expect(d.attempts.length).toBeGreaterThan(1);
  });

  it('a line outside the department whitelist is refused LINE_NOT_ALLOWED, naming line and department; nothing is dialled', () => {
    const d = decideRoute(rules(true), RU_CARRIERS, call('hr'));
    expect(d.refused?.code).toBe('LINE_NOT_ALLOWED');
    expect(d.refused?.message).toContain('"hr"');
    expect(d.refused?.message).toContain('dept-10 (10)');
    expect(d.attempts).toEqual([]);
  });

  it('an unknown line is refused UNKNOWN_LINE', () => {
    const d = decideRoute(rules(false), RU_CARRIERS, call('nope'));
    expect(d.refused?.code).toBe('UNKNOWN_LINE');
    expect(d.attempts).toEqual([]);
  });

  it('a full or down manual line is refused LINE_UNAVAILABLE without rotation, skipped with it', () => {
    const busy = { busyChannels: { 'gsm-beeline': 1 } };
    const refused = decideRoute(rules(false), RU_CARRIERS, call('beeline', busy));
    expect(refused.refused?.code).toBe('LINE_UNAVAILABLE');
    expect(refused.refused?.message).toContain('no free channel');
    expect(refused.attempts).toEqual([]);

    const down = decideRoute(rules(false), RU_CARRIERS, call('beeline', { downTrunks: ['gsm-beeline'] }));
    expect(down.refused?.code).toBe('LINE_UNAVAILABLE');

    const rotated = decideRoute(rules(true), RU_CARRIERS, call('beeline', busy));
    expect(rotated.refused).toBeNull();
    expect(rotated.manualLine).toBeNull();
    expect(rotated.attempts.map((a) => a.trunk)).toEqual(['gsm-mts', 'sip']);
  });

  it('the manual line counts toward maxAttempts', () => {
    const many = Array.from({ length: 6 }, (_, i) => trunk(`t${i}`, { carrier: 'x', line: `l${i}` }));
    const r = compiled({ trunks: many, departments: [department('10', { trunks: many.map((t) => t.id), rotateAfterManualLine: true })], maxAttempts: 3 });
    const d = decideRoute(r, RU_CARRIERS, call('l5'));
    expect(d.attempts.map((a) => a.trunk)).toEqual(['t5', 't0', 't1']);
  });
});
