import { describe, expect, it } from 'vitest';
import { callIdTimeMs, clickFreshness } from '../../../src/core/clicks/freshness.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const limits = { maxDelayMs: 60_000, skewMs: 30_000 };
const ago = (s: number) => NOW - s * 1000;

describe('callIdTimeMs', () => {
  it('reads the unix time Bitrix24 puts at the end of a CALL_ID', () => {
    expect(callIdTimeMs('externalCall.5c2e0a8bd0a4e5d1b0c7e2f3a4b5c6d7.1764763200')).toBe(1_764_763_200_000);
  });

  it('is null for a CALL_ID without one', () => {
    expect(callIdTimeMs('externalCall.5c2e0a8bd0a4e5d1b0c7e2f3a4b5c6d7')).toBeNull();
    expect(callIdTimeMs('custom-id.1764763200')).toBeNull();
    expect(callIdTimeMs('externalCall.abc.12')).toBeNull();
  });
});

describe('clickFreshness', () => {
  it.each([
    ['both stamps fresh', [ago(5), ago(6)], true],
    ['exactly at the limit', [ago(60)], true],
    ['one second past the limit', [ago(61)], false],
    ['an old ts, a fresh CALL_ID time: the newer counts', [ago(3600), ago(2)], true],
    ['a fresh ts, an old CALL_ID time: the newer counts', [ago(2), ago(3600)], true],
    ['both an hour old', [ago(3600), ago(3600)], false],
    ['ahead within the skew', [ago(-30)], true],
    ['ahead beyond the skew', [ago(-31)], false],
    ['the newer ahead beyond the skew, the other fresh', [ago(-300), ago(1)], false],
    ['only one stamp known', [null, ago(10)], true],
    ['no stamp at all', [null, null], false],
  ] as const)('%s', (_, stamps, fresh) => {
    expect(clickFreshness(stamps, NOW, limits).fresh).toBe(fresh);
  });

  it('says why a click is not dialled', () => {
    expect(clickFreshness([ago(3600)], NOW, limits)).toEqual({ fresh: false, reason: 'not dialled: the click is 3600 s old (more than the 60 s allowed)' });
    expect(clickFreshness([ago(-300)], NOW, limits)).toEqual({ fresh: false, reason: "not dialled: the click's time is 300 s ahead of this host's clock (more than the 30 s allowed)" });
    expect(clickFreshness([null], NOW, limits)).toMatchObject({ fresh: false, reason: expect.stringContaining('carries no time') });
  });
});
