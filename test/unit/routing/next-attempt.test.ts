import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { nextAttempt } from '../../../src/core/routing/next-attempt.ts';
import { compiled, RU_CARRIERS, trunk } from './support.ts';

const trunks = [trunk('a', { carrier: 'x', priority: 1, channels: 2 }), trunk('b', { carrier: 'x', priority: 2 }), trunk('c', { carrier: 'x', priority: 3 })];
const rules = compiled({ trunks });
const plan = decideRoute(rules, RU_CARRIERS, { user: '1', number: '+79161234567', origin: 'crm' }).attempts;

describe('nextAttempt: the stored plan is consumed entry by entry (DECISIONS §6)', () => {
  it('takes the entries in order', () => {
    expect(plan.map((a) => a.trunk)).toEqual(['a', 'b', 'c']);
    const first = nextAttempt(plan, 0, {}, rules);
    expect(first?.attempt.trunk).toBe('a');
    const second = nextAttempt(plan, (first?.index ?? 0) + 1, {}, rules);
    expect(second).toMatchObject({ index: 1, attempt: { trunk: 'b' } });
    expect(nextAttempt(plan, 3, {}, rules)).toBeNull();
  });

  it('skips entries whose trunk is now disabled, down or full', () => {
    expect(nextAttempt(plan, 0, { busyChannels: { a: 2 } }, rules)?.attempt.trunk).toBe('b');
    expect(nextAttempt(plan, 0, { downTrunks: ['a', 'b'] }, rules)?.attempt.trunk).toBe('c');
    expect(nextAttempt(plan, 0, { disabled: new Set(['a', 'b', 'c']) }, rules)).toBeNull();
  });

  it('a rules reload mid-call does not reshuffle the plan; a trunk the new rules disable is skipped', () => {
    const reloaded = compiled({ trunks: [trunk('c', { carrier: 'x', priority: 0 }), trunk('a', { carrier: 'x', enabled: false }), trunk('b', { carrier: 'x' })] });
    expect(nextAttempt(plan, 0, {}, reloaded)).toMatchObject({ index: 1, attempt: { trunk: 'b' } });
    expect(nextAttempt(plan, 2, {}, reloaded)).toMatchObject({ index: 2, attempt: { trunk: 'c' } });
  });
});
