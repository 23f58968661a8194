import { describe, expect, it } from 'vitest';
import { describeBlock, failureSummary } from '../../../src/core/health/describe.ts';
import { localMidnight, simLimitReached, type SimUsage } from '../../../src/core/health/sim-limits.ts';
import type { SimLimits } from '../../../src/core/rules/model.ts';

// 2027-01-15 12:03:10 in Moscow (UTC+3) = 09:03:10 UTC.
const NOW = Date.UTC(2027, 0, 15, 9, 3, 10, 500);
const MIDNIGHT_MSK = Date.UTC(2027, 0, 14, 21, 0, 0);
const NEXT_MIDNIGHT = MIDNIGHT_MSK + 86_400_000;
const NONE: SimLimits = { callsPerHour: null, callsPerDay: null, minutesPerDay: null, minGapSeconds: null };
const IDLE: SimUsage = { callsLastHour: 0, oldestInHourAt: null, callsToday: 0, minutesToday: 0, lastStartAt: null };

describe('SIM limits', () => {
  it.each([
    { name: 'no limits', limits: NONE, usage: { callsToday: 500 }, expected: null },
    { name: 'below every limit', limits: { ...NONE, callsPerHour: 10, callsPerDay: 100, minutesPerDay: 60, minGapSeconds: 20 }, usage: { callsLastHour: 9, callsToday: 99, minutesToday: 59, lastStartAt: NOW - 20_000 }, expected: null },
    { name: 'calls per hour reached: free when the oldest leaves the hour', limits: { ...NONE, callsPerHour: 10 }, usage: { callsLastHour: 10, oldestInHourAt: NOW - 600_000 }, expected: { limit: 'callsPerHour', used: 10, max: 10, until: NOW - 600_000 + 3_600_000 } },
    { name: 'calls per day reached: free at local midnight', limits: { ...NONE, callsPerDay: 100 }, usage: { callsToday: 100 }, expected: { limit: 'callsPerDay', used: 100, max: 100, until: NEXT_MIDNIGHT } },
    { name: 'minutes per day reached', limits: { ...NONE, minutesPerDay: 60 }, usage: { minutesToday: 61 }, expected: { limit: 'minutesPerDay', used: 61, max: 60, until: NEXT_MIDNIGHT } },
    { name: 'within the minimum gap of the last call', limits: { ...NONE, minGapSeconds: 20 }, usage: { lastStartAt: NOW - 5_000 }, expected: { limit: 'minGapSeconds', used: 5, max: 20, until: NOW + 15_000 } },
  ])('$name', ({ limits, usage, expected }) => {
    const block = simLimitReached(limits, { ...IDLE, ...usage }, NOW, NEXT_MIDNIGHT);
    if (expected === null) expect(block).toBeNull();
    else expect(block).toEqual({ kind: 'limit', ...expected });
  });

  it('days start at local midnight in the rules\' time zone', () => {
    expect(localMidnight(NOW, 'Europe/Moscow')).toBe(MIDNIGHT_MSK);
    expect(localMidnight(NOW, 'UTC')).toBe(Date.UTC(2027, 0, 15));
    expect(localMidnight(NOW, 'Asia/Vladivostok')).toBe(Date.UTC(2027, 0, 14, 14)); // UTC+10: 19:03 there
    // 23:59:59 Moscow is still the same day; 00:00:00 is the next one.
    expect(localMidnight(NEXT_MIDNIGHT - 1000, 'Europe/Moscow')).toBe(MIDNIGHT_MSK);
    expect(localMidnight(NEXT_MIDNIGHT, 'Europe/Moscow')).toBe(NEXT_MIDNIGHT);
  });
});

describe('health explanations', () => {
  it('an open breaker: since when, how many failures by cause, when it is tried again', () => {
    const failures = [68, 34, 68, 68, 68].map((cause, i) => ({ at: NOW - 10_000 + i, cause }));
    expect(failureSummary(failures)).toBe('5 failures (68 ×4, 34 ×1)');
    expect(describeBlock({ kind: 'open', since: NOW, until: NOW + 120_000, failures }, 'Europe/Moscow'))
      .toBe('open since 12:03:10, 5 failures (68 ×4, 34 ×1); tried again with one call from 12:05:10');
  });

  it('a SIM limit names the limit, the use and when it frees up', () => {
    expect(describeBlock({ kind: 'limit', limit: 'callsPerDay', used: 100, max: 100, until: NEXT_MIDNIGHT }, 'Europe/Moscow'))
      .toBe('SIM limit: 100 calls today, limit 100; free again at 00:00:00');
    expect(describeBlock({ kind: 'trial', since: NOW - 200_000, trialSince: NOW }, 'Europe/Moscow'))
      .toBe('half-open: a trial call started at 12:03:10 is under way (open since 11:59:50)');
  });
});
