import { describe, expect, it } from 'vitest';
import { routeStep, type PlanView } from '../../../src/core/calls/route-step.ts';
import type { Attempt } from '../../../src/core/routing/types.ts';
import { compiled, trunk } from '../routing/support.ts';

const IDS = ['t1', 't2', 't3', 't4', 't5', 't6'];
const rules = compiled({ trunks: IDS.map((id) => trunk(id, { channels: 2 })), maxAttempts: 5 });

function entry(id: string, tier: Attempt['tier'] = 'universal'): Attempt {
  return { trunk: id, dial: `PJSIP/{n}@${id}`, callerId: null, tier, perMinute: 1, ringTimeout: 60 };
}
const plan: PlanView = { attempts: IDS.slice(0, 5).map((id) => entry(id)), rotateAfterManualLine: false, maxAttempts: 5 };

function step(attemptNo: number, dialStatus: string, cause: number | null, over: Partial<Parameters<typeof routeStep>[0]> = {}) {
  return routeStep({
    plan, attemptNo, dialStatus, hangupCause: cause, rules, trunks: {},
    previous: attemptNo > 1 ? { planIndex: attemptNo - 2, trunkId: `t${attemptNo - 1}`, tier: 'universal' } : null,
    ...over,
  });
}

describe('route step over a stored plan', () => {
  it('answers the first entry on attempt 1', () => {
    expect(step(1, '', 0)).toMatchObject({ kind: 'dial', planIndex: 0, attempt: { trunk: 't1' }, previousDecision: null });
  });

  it('rotates to the next entry after CONGESTION 34 (a technical failure)', () => {
    expect(step(2, 'CONGESTION', 34)).toMatchObject({ kind: 'dial', planIndex: 1, attempt: { trunk: 't2' }, previousDecision: 'rotate' });
  });

  it('rotates after CHANUNAVAIL with no cause (the channel failed before ringing) and after cause 68 (no credit)', () => {
    expect(step(2, 'CHANUNAVAIL', 0)).toMatchObject({ kind: 'dial', attempt: { trunk: 't2' } });
    expect(step(2, 'CHANUNAVAIL', 68)).toMatchObject({ kind: 'dial', attempt: { trunk: 't2' } });
  });

  it.each([
    ['BUSY', 0],
    ['NOANSWER', 0],
    ['CHANUNAVAIL', 21],
    ['CONGESTION', 17],
    ['CANCEL', 0],
  ])('stops after %s with cause %s: the callee answered the question', (status, cause) => {
    expect(step(2, status, cause)).toMatchObject({ kind: 'stop', code: 'callee-outcome', previousDecision: 'stop' });
  });

  it('honours a trunk override: cause 21 rotates on a gateway whose auth failures look like rejects', () => {
    const r = compiled({ trunks: IDS.map((id) => trunk(id, id === 't1' ? { causeOverrides: { 21: 'rotate' } } : {})) });
    expect(step(2, 'CHANUNAVAIL', 21, { rules: r })).toMatchObject({ kind: 'dial', attempt: { trunk: 't2' } });
  });

  it('stops at the cap of 5 attempts even when the plan has more entries', () => {
    const long: PlanView = { ...plan, attempts: IDS.map((id) => entry(id)) };
    expect(step(5, 'CONGESTION', 34, { plan: long })).toMatchObject({ kind: 'dial', attempt: { trunk: 't5' } });
    expect(step(6, 'CONGESTION', 34, { plan: long })).toMatchObject({ kind: 'stop', code: 'attempt-cap' });
  });

  it('stops when the plan is used up', () => {
    const two: PlanView = { ...plan, attempts: [entry('t1'), entry('t2')] };
    expect(step(3, 'CONGESTION', 34, { plan: two })).toMatchObject({ kind: 'stop', code: 'plan-exhausted' });
  });

  it('skips a stored entry whose trunk is full or disabled now', () => {
    expect(step(2, 'CONGESTION', 34, { trunks: { busyChannels: { t2: 2 } } })).toMatchObject({ kind: 'dial', attempt: { trunk: 't3' }, planIndex: 2 });
    const reloaded = compiled({ trunks: IDS.map((id) => trunk(id, { enabled: id !== 't2' })) });
    expect(step(2, 'CONGESTION', 34, { rules: reloaded })).toMatchObject({ kind: 'dial', attempt: { trunk: 't3' } });
  });

  it('does not reshuffle after a rules reload: the stored order wins over new prices', () => {
    const repriced = compiled({ trunks: IDS.map((id) => trunk(id, { tariffs: { byCarrier: {}, byPrefix: [], default: id === 't5' ? 0.01 : 9 } })) });
    expect(step(2, 'CONGESTION', 34, { rules: repriced })).toMatchObject({ kind: 'dial', attempt: { trunk: 't2' } });
  });

  describe('manual line (DECISIONS §7)', () => {
    const manual: PlanView = { attempts: [entry('t1', 'manual'), entry('t2')], rotateAfterManualLine: false, maxAttempts: 5 };
    const previous = { planIndex: 0, trunkId: 't1', tier: 'manual' };

    it('is not rotated away from after a technical failure', () => {
      const r = step(2, 'CONGESTION', 34, { plan: manual, previous });
      expect(r).toMatchObject({ kind: 'stop', code: 'manual-line', previousDecision: 'rotate' });
      expect(r.kind === 'stop' && r.reason).toContain('t1');
    });

    it('is rotated away from when the department allows it', () => {
      expect(step(2, 'CONGESTION', 34, { plan: { ...manual, rotateAfterManualLine: true }, previous })).toMatchObject({ kind: 'dial', attempt: { trunk: 't2' } });
    });

    it('that is full at attempt 1 stops the call instead of silently using another line', () => {
      expect(step(1, '', 0, { plan: manual, trunks: { busyChannels: { t1: 2 } } })).toMatchObject({ kind: 'stop', code: 'manual-line' });
    });
  });
});
