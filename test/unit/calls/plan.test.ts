import { describe, expect, it } from 'vitest';
import { planOf } from '../../../src/app/calls/plan.ts';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { compileRules } from '../../../src/core/rules/compile.ts';
import { labRules, NO_CARRIERS } from '../../contracts/calls-lab-rules.ts';

describe('the plan stored with a call', () => {
  const base = labRules();
  const withExcluded = compileRules({ ...base.rules, crm: { ...base.rules.crm, excluded: { numbers: ['+79160000002'], prefixes: ['7916000000'] } } });

  it('keeps the attempts in order without explanation text, with the cap and the manual-line policy', () => {
    const decision = decideRoute(base, NO_CARRIERS, { extension: '100', number: '79160000001', origin: 'phone' }, { explain: true });
    const plan = planOf(decision, base);
    expect(plan.attempts.map((a) => a.trunk)).toEqual(['trunk-congestion', 'trunk-answer']);
    expect(plan.attempts.every((a) => a.reason === undefined && a.callerIdReason === undefined)).toBe(true);
    expect(plan).toMatchObject({ maxAttempts: 5, manualLine: null, rotateAfterManualLine: false, record: true });
  });

  it('marks excluded numbers as never recorded (ROUTE_RECORD=0)', () => {
    const decision = decideRoute(withExcluded, NO_CARRIERS, { extension: '100', number: '79160000002', origin: 'phone' });
    expect(planOf(decision, withExcluded).record).toBe(false);
    const other = decideRoute(withExcluded, NO_CARRIERS, { extension: '100', number: '79161234567', origin: 'phone' });
    expect(planOf(other, withExcluded).record).toBe(true);
  });
});
