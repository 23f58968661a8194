import { describe, expect, it } from 'vitest';
import type { HealthSnapshot, TrunkBlock } from '../../../src/core/health/snapshot.ts';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { nextAttempt } from '../../../src/core/routing/next-attempt.ts';
import { compiled, department, gsm, RU_CARRIERS, trunk } from './support.ts';

// 12:03:10 in Moscow.
const AT = Date.UTC(2027, 0, 15, 9, 3, 10);
const OPEN: TrunkBlock = {
  kind: 'open', since: AT, until: AT + 120_000,
  failures: [68, 68, 34, 68, 68].map((cause, i) => ({ at: AT - 5000 + i, cause })),
};
const rules = compiled({
  trunks: [gsm('gsm-mts', 'mts', '+79161230001', { line: 'mts', priority: 1 }), trunk('sip-a', { priority: 2 }), trunk('sip-b', { priority: 3 })],
  departments: [department('10', { trunks: ['gsm-mts', 'sip-a', 'sip-b'] })],
});
const request = { user: '1', number: '+79161234567', origin: 'crm' as const };
const health = (entries: Record<string, TrunkBlock>): HealthSnapshot => new Map(Object.entries(entries));

describe('routes leave out trunks whose health keeps them out', () => {
  it('a trunk with its breaker open or its SIM at a limit is not in the plan', () => {
    expect(decideRoute(rules, RU_CARRIERS, request).attempts.map((a) => a.trunk)).toEqual(['gsm-mts', 'sip-a', 'sip-b']);
    const d = decideRoute(rules, RU_CARRIERS, {
      ...request,
      health: health({ 'gsm-mts': OPEN, 'sip-b': { kind: 'limit', limit: 'callsPerHour', used: 30, max: 30, until: null } }),
    });
    expect(d.attempts.map((a) => a.trunk)).toEqual(['sip-a']);
  });

  it('explain says since when, how many failures and why', () => {
    const d = decideRoute(rules, RU_CARRIERS, { ...request, health: health({ 'gsm-mts': OPEN }) }, { explain: true });
    expect(d.trace).toContain('trunk gsm-mts (gsm-mts): skipped: open since 12:03:10, 5 failures (68 ×4, 34 ×1); tried again with one call from 12:05:10');
  });

  it('a manual line out of routes is refused with the reason (the manager chose that number)', () => {
    const d = decideRoute(rules, RU_CARRIERS, { ...request, line: 'mts', health: health({ 'gsm-mts': OPEN }) });
    expect(d.refused?.code).toBe('LINE_UNAVAILABLE');
    expect(d.refused?.message).toContain('open since 12:03:10, 5 failures (68 ×4, 34 ×1)');
  });

  it('a breaker opening mid-call: later route requests skip that stored entry like a disabled trunk', () => {
    const plan = decideRoute(rules, RU_CARRIERS, request).attempts;
    expect(nextAttempt(plan, 0, { health: health({ 'gsm-mts': OPEN }) }, rules)).toMatchObject({ index: 1, attempt: { trunk: 'sip-a' } });
    const trial: TrunkBlock = { kind: 'trial', since: AT, trialSince: AT + 130_000 };
    expect(nextAttempt(plan, 1, { health: health({ 'sip-a': trial }) }, rules)).toMatchObject({ index: 2, attempt: { trunk: 'sip-b' } });
  });
});
