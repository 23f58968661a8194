import { describe, expect, it } from 'vitest';
import { ABANDON_WINDOWS, AbandonWindow, abandonedPct, atTarget } from '../../../src/core/pacing/abandon-window.ts';
import { CallHistory, HISTORY_CALLS, RECENT_CALLS, historyOf } from '../../../src/core/pacing/call-history.ts';
import { DEFAULT_PACING_CONFIG, MARGIN, nextMargin, pace, type Floor, type PacingConfig } from '../../../src/core/pacing/pacer.ts';
import { simulate } from '../../../src/core/pacing/simulation/simulate.ts';

const HOUR = 3_600_000;
const predictive: PacingConfig = { ...DEFAULT_PACING_CONFIG, mode: 'predictive' };

/** A history of `n` calls answering at rate `p` after 10 s, talks of 60–140 s. */
function learned(p: number, n = 100): CallHistory {
  const h = new CallHistory();
  for (let i = 0; i < n; i++) h.addCall(i < p * n ? { ringMs: 10_000, answered: true } : { ringMs: 25_000, answered: false });
  for (let i = 0; i < 50; i++) h.addTalk(60_000 + i * 1_600);
  return h;
}

const floor = (over: Partial<Floor> = {}): Floor => ({ onlineOperators: 10, freeOperators: 4, talkElapsedMs: Array(6).fill(30_000), wrapUpLeftMs: [], ringingAgesMs: [], waiting: 0, ...over });
const calm = { answered: 1000, abandoned: 5 };

describe('pacing modes', () => {
  it('progressive: one call ringing per free operator', () => {
    expect(pace({ ...DEFAULT_PACING_CONFIG, mode: 'progressive' }, floor({ ringingAgesMs: [1000] }), learned(0.25), calm, 1).dial).toBe(3);
  });

  it('ratio: the multiplier times the free operators, less the calls ringing', () => {
    expect(pace({ ...DEFAULT_PACING_CONFIG, mode: 'ratio', ratio: 2.5 }, floor({ ringingAgesMs: [1000, 2000] }), learned(0.25), calm, 1).dial).toBe(8);
  });

  it('predictive dials more than progressive when few calls answer', () => {
    const d = pace(predictive, floor(), learned(0.2), calm, 1);
    expect(d.mode).toBe('predictive');
    expect(d.dial).toBeGreaterThan(4);
  });

  it('predictive falls back to progressive: window at the target, too few operators, nothing learnt yet', () => {
    expect(pace(predictive, floor(), learned(0.2), { answered: 100, abandoned: 3 }, 1)).toMatchObject({ mode: 'progressive', dial: 4, why: expect.stringContaining('target') });
    expect(pace(predictive, floor({ onlineOperators: 2, freeOperators: 2, talkElapsedMs: [] }), learned(0.2), calm, 1)).toMatchObject({ mode: 'progressive', dial: 2 });
    expect(pace(predictive, floor(), new CallHistory(), calm, 1)).toMatchObject({ mode: 'progressive', why: expect.stringContaining('too few recent calls') });
  });

  it('an operator wrapping up is counted free when the wrap-up ends, sooner than one still talking', () => {
    const talking = floor({ freeOperators: 0, talkElapsedMs: Array(10).fill(30_000) });
    const wrapping = floor({ freeOperators: 0, talkElapsedMs: Array(6).fill(30_000), wrapUpLeftMs: Array(4).fill(2_000) });
    expect(pace(predictive, wrapping, learned(0.2), calm, 1).dial).toBeGreaterThan(pace(predictive, talking, learned(0.2), calm, 1).dial);
  });

  it('an operator still talking is expected free only after the talk and the usual wrap-up', () => {
    const wrapsUp = learned(0.2);
    for (let i = 0; i < 20; i++) wrapsUp.addWrapUp(60_000);
    const nearlyDone = floor({ freeOperators: 0, talkElapsedMs: Array(10).fill(135_000) });
    expect(pace(predictive, nearlyDone, wrapsUp, calm, 1).dial).toBeLessThan(pace(predictive, nearlyDone, learned(0.2), calm, 1).dial);
  });

  it('a wider margin dials fewer calls', () => {
    expect(pace(predictive, floor(), learned(0.2), calm, 3).dial).toBeLessThan(pace(predictive, floor(), learned(0.2), calm, 0).dial);
  });

  it('the margin settles where drops are below the target', () => {
    let m: number = MARGIN.start;
    // 2 % of answered calls dropped (below 3 %): the margin narrows.
    for (let i = 0; i < 1000; i++) m = nextMargin(m, i % 50 === 0 ? 1 : 0, 3);
    expect(m).toBeLessThan(MARGIN.start);
    // 10 % dropped: it widens to its limit.
    for (let i = 0; i < 1000; i++) m = nextMargin(m, i % 10 === 0 ? 1 : 0, 3);
    expect(m).toBeGreaterThan(MARGIN.max - 0.1);
  });
});

describe('the abandoned-rate window', () => {
  it('forgets what is older than 24 h by default, and keeps 30 days when selected', () => {
    const day = new AbandonWindow(ABANDON_WINDOWS['24h']);
    const month = new AbandonWindow(ABANDON_WINDOWS['30d']);
    for (const w of [day, month]) {
      w.addCounts(0, 100, 10);
      w.addCounts(25 * HOUR, 100, 0);
    }
    expect(abandonedPct(day.counts(26 * HOUR))).toBe(0);
    expect(abandonedPct(month.counts(26 * HOUR))).toBe(5);
    expect(month.counts(31 * 24 * HOUR)).toEqual({ answered: 100, abandoned: 0 });
  });

  it('is at the target when one more drop would reach it (so a fresh campaign starts progressive)', () => {
    expect(atTarget({ answered: 0, abandoned: 0 }, 3)).toBe(true);
    expect(atTarget({ answered: 40, abandoned: 0 }, 3)).toBe(false);
    expect(atTarget({ answered: 100, abandoned: 2.5 }, 3)).toBe(true);
  });
});

describe('predictive pacing with injected time and randomness', () => {
  const day = (answerRate: number | ((t: number) => number), mode: PacingConfig['mode'], seed: number) => simulate({
    operators: 20, minutes: 240, seed, pacing: { ...DEFAULT_PACING_CONFIG, mode },
    population: { answerRate, talkMeanS: 90, wrapUpS: 10, ringMaxS: 25 },
  });
  // 10 % for the first hour, 40 % for the next, then 10 % again.
  const jumping = (t: number) => (t >= HOUR && t < 2 * HOUR ? 0.4 : 0.1);

  it.each([1, 2, 3])('holds the 3 %% target when the answer rate jumps 10 %% → 40 %% → 10 %% (seed %i)', (seed) => {
    const r = day(jumping, 'predictive', seed);
    expect(r.abandonedPct).toBeLessThanOrEqual(3);
    expect(r.talkMinutesPerOperatorHour).toBeGreaterThan(day(jumping, 'progressive', seed).talkMinutesPerOperatorHour);
  });

  it('the same seed gives the same day', () => {
    expect(day(0.25, 'predictive', 7)).toEqual(day(0.25, 'predictive', 7));
  });
});

describe('answering machines in the simulated population', () => {
  const population = { answerRate: 0.25, talkMeanS: 90, wrapUpS: 10, ringMaxS: 25 };
  const run = (over: Partial<Parameters<typeof simulate>[0]>) => simulate({
    operators: 10, minutes: 120, seed: 3, pacing: { ...DEFAULT_PACING_CONFIG, mode: 'progressive' }, population, ...over,
  });

  it('none by default: the same day as before, without the machine figures', () => {
    const plain = run({});
    expect(run({ population: { ...population, machineRate: 0 } })).toEqual(plain);
    expect(plain.amd).toBeUndefined();
  });

  it('with AMD, the estimated live share of the MACHINE verdicts counts as abandoned, as the live dialer counts it', () => {
    const r = run({ population: { ...population, machineRate: 0.3 }, amd: { falsePositivePct: 10, verdictS: 2.5 } });
    const verdicts = r.amd?.machineVerdicts ?? 0;
    // Progressive drops nobody, yet 10 % of the verdicts are counted as dropped live calls.
    expect(r.abandoned).toBe(0);
    expect(verdicts).toBeGreaterThan(100);
    expect(r.abandonedPct).toBeCloseTo((100 * 0.1 * verdicts) / (r.answered + 0.1 * verdicts), 1);
    // The population is drawn so that the configured share of the verdicts really are live people.
    expect((r.amd?.liveHungUp ?? 0) / verdicts).toBeGreaterThan(0.05);
    expect((r.amd?.liveHungUp ?? 0) / verdicts).toBeLessThan(0.15);
  });

  it('predictive with AMD keeps the rate as counted (drops and the verdicts\' live share) under the target, and talks more than progressive', () => {
    const withAmd = { population: { ...population, machineRate: 0.3 }, amd: { falsePositivePct: 5, verdictS: 2.5 }, operators: 20, minutes: 240 };
    const predictiveDay = run({ ...withAmd, pacing: predictive });
    expect(predictiveDay.abandonedPct).toBeLessThanOrEqual(3);
    expect(predictiveDay.talkMinutesPerOperatorHour).toBeGreaterThan(run(withAmd).talkMinutesPerOperatorHour);
  });

  it('a MACHINE verdict moves the margin by its live share of a drop', () => {
    expect(nextMargin(1, 1, 3, 0.05)).toBeCloseTo(1 + 0.05 * MARGIN.step, 10);
  });

  it('without AMD, machines reach operators: no talk time is counted for them', () => {
    const plain = run({});
    const machines = run({ population: { ...population, machineRate: 0.5 } });
    expect(machines.amd?.machineVerdicts).toBe(0);
    expect(machines.talkMinutesPerOperatorHour).toBeLessThan(plain.talkMinutesPerOperatorHour);
  });
});

describe('the answer rate learnt from the recent calls', () => {
  const calls = (h: CallHistory, n: number, every: number) => {
    for (let i = 0; i < n; i++) h.addCall(i % every === 0 ? { ringMs: 10_000, answered: true } : { ringMs: 25_000, answered: false });
  };

  it('keeps a long history while the rate holds (a steady estimate)', () => {
    const h = new CallHistory();
    calls(h, 3000, 4);
    expect(h.callCount).toBe(HISTORY_CALLS);
    expect(h.answerRate()).toBeCloseTo(0.25, 2);
  });

  it('follows a change of the answer rate within the newest calls, not the whole history', () => {
    const h = new CallHistory();
    calls(h, HISTORY_CALLS, 10);
    calls(h, RECENT_CALLS, 2);
    expect(h.callCount).toBeLessThan(2 * RECENT_CALLS);
    expect(h.answerRate()).toBeGreaterThan(0.4);
  });
});

describe('the wrap-up learnt from the recent calls', () => {
  it('is none until one is seen, then the median of the recent ones', () => {
    const h = new CallHistory();
    expect(h.typicalWrapUpMs()).toBe(0);
    for (const ms of [5_000, 30_000, 10_000]) h.addWrapUp(ms);
    expect(h.typicalWrapUpMs()).toBe(10_000);
  });
});

describe('the history rebuilt from stored calls', () => {
  it('ring times of answered, unanswered and machine calls, talks of the calls an operator took; technical failures left out', () => {
    const call = (outcome: 'answered' | 'abandoned' | 'no-answer' | 'machine' | 'technical', answeredAt: number | null, endedAt: number) => ({ startedAt: 0, answeredAt, endedAt, outcome });
    const calls = [call('answered', 8_000, 98_000), call('abandoned', 5_000, 20_000), call('no-answer', null, 25_000), call('machine', null, 12_000), call('technical', null, 1_000), call('answered', null, 60_000)];
    const h = historyOf(calls, calls.filter((c) => c.outcome === 'answered'));
    expect(h.callCount).toBe(4);
    expect(h.answerRate()).toBe(0.5);
    expect(h.answerQuantiles([0, 1])).toEqual([5_000, 8_000]);
    expect(h.talkCount).toBe(1);
    expect(h.freeWithin(0, 90_000)).toBe(1);
    expect(h.typicalWrapUpMs()).toBe(0);
    expect(historyOf(calls, calls.filter((c) => c.outcome === 'answered'), 15_000).typicalWrapUpMs()).toBe(15_000);
  });
});
