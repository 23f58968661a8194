import { describe, expect, it } from 'vitest';
import { evaluateBreaker, FRESH, type BreakerCarry, type BreakerResult, type Trial } from '../../../src/core/health/breaker.ts';
import type { Failure } from '../../../src/core/health/snapshot.ts';

const S = { failures: 3, windowSeconds: 60, openSeconds: 120 };
const T0 = 1_800_000_000_000;
const sec = (s: number) => T0 + s * 1000;
const fail = (s: number, cause = 34): Failure => ({ at: sec(s), cause });

interface Case {
  readonly name: string;
  readonly failures: readonly Failure[];
  readonly now: number;
  readonly gsm?: boolean;
  readonly trial?: Trial | null;
  readonly carry?: BreakerCarry;
  readonly expected: { state: string; since?: number; until?: number; failures?: number; trialSince?: number | null };
}

function run(c: Pick<Case, 'failures' | 'now' | 'gsm' | 'trial' | 'carry'>): BreakerResult {
  return evaluateBreaker({
    settings: S, gsm: c.gsm ?? false, failures: c.failures, now: c.now, carry: c.carry ?? FRESH, trialTimeoutMs: 60_000,
    trialFrom: () => c.trial,
  });
}

const CASES: readonly Case[] = [
  { name: 'no failures: closed', failures: [], now: sec(10), expected: { state: 'closed' } },
  { name: 'fewer than N failures within M: closed', failures: [fail(0), fail(30)], now: sec(40), expected: { state: 'closed' } },
  { name: 'N failures spread wider than M: closed', failures: [fail(0), fail(50), fail(100)], now: sec(110), expected: { state: 'closed' } },
  {
    name: 'N failures within M: open from the Nth for T',
    failures: [fail(0), fail(20), fail(40)], now: sec(41),
    expected: { state: 'open', since: sec(40), until: sec(160), failures: 3 },
  },
  {
    name: 'the window slides: failures older than M before the Nth do not count',
    failures: [fail(0), fail(70), fail(90), fail(100)], now: sec(101),
    expected: { state: 'open', since: sec(100), failures: 3 },
  },
  { name: 'cause 68 once on a GSM trunk: open at once', failures: [fail(5, 68)], gsm: true, now: sec(6), expected: { state: 'open', since: sec(5), failures: 1 } },
  { name: 'cause 68 once on a SIP trunk: one failure like any other', failures: [fail(5, 68)], now: sec(6), expected: { state: 'closed' } },
  {
    name: 'after T with no call yet: half-open, the next call is the trial',
    failures: [fail(0), fail(1), fail(2)], now: sec(200), trial: null,
    expected: { state: 'half-open', since: sec(2), trialSince: null },
  },
  {
    name: 'a trial under way: half-open, others wait',
    failures: [fail(0), fail(1), fail(2)], now: sec(130), trial: { startedAt: sec(125), endedAt: null, failed: null },
    expected: { state: 'half-open', trialSince: sec(125) },
  },
  {
    name: 'a trial without an outcome past its ring time was answered: closed',
    failures: [fail(0), fail(1), fail(2)], now: sec(200), trial: { startedAt: sec(125), endedAt: null, failed: null },
    expected: { state: 'closed' },
  },
  {
    name: 'the trial succeeds: closed, and the failures before it no longer count',
    failures: [fail(0), fail(1), fail(2), fail(140)], now: sec(141), trial: { startedAt: sec(125), endedAt: sec(130), failed: false },
    expected: { state: 'closed' },
  },
  {
    name: 'the trial fails: open again from its end',
    failures: [fail(0), fail(1), fail(2), fail(126, 68)], now: sec(127), trial: { startedAt: sec(125), endedAt: sec(126), failed: true },
    expected: { state: 'open', since: sec(126), until: sec(246), failures: 1 },
  },
  {
    name: 'an opening carried from an earlier evaluation holds after its failures left the window read',
    failures: [], now: sec(100), carry: { open: { since: sec(2), failures: [fail(0), fail(1), fail(2)] }, countFrom: Number.NEGATIVE_INFINITY },
    expected: { state: 'open', since: sec(2), failures: 3 },
  },
];

describe('trunk circuit breaker', () => {
  it.each(CASES)('$name', (c) => {
    const result = run(c);
    if (!('view' in result)) throw new Error(`asked for a trial from ${result.needTrialFrom}`);
    const v = result.view;
    expect(v.state).toBe(c.expected.state);
    if (c.expected.since !== undefined && v.state !== 'closed') expect(v.since).toBe(c.expected.since);
    if (c.expected.until !== undefined && v.state === 'open') expect(v.until).toBe(c.expected.until);
    if (c.expected.failures !== undefined && v.state !== 'closed') expect(v.failures).toHaveLength(c.expected.failures);
    if (c.expected.trialSince !== undefined && v.state === 'half-open') expect(v.trialSince).toBe(c.expected.trialSince);
  });

  it('asks for the trial (the first attempt after the open period) before deciding past T', () => {
    const result = run({ failures: [fail(0), fail(1), fail(2)], now: sec(200), trial: undefined });
    expect(result).toEqual({ needTrialFrom: sec(122) });
  });

  it('after a successful trial, N new failures open it again', () => {
    const trial: Trial = { startedAt: sec(125), endedAt: sec(130), failed: false };
    const failures = [fail(0), fail(1), fail(2), fail(131), fail(132), fail(133)];
    const result = run({ failures, now: sec(134), trial });
    expect('view' in result && result.view).toMatchObject({ state: 'open', since: sec(133) });
  });
});
