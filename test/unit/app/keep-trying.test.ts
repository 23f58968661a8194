import { describe, expect, it } from 'vitest';
import { keepTrying } from '../../../src/app/keep-trying.ts';

describe('keepTrying', () => {
  it('tries again after each failure, the waits doubling up to the cap, and returns the first success', async () => {
    const started: number[] = [];
    const failures: [string, number][] = [];
    const t0 = Date.now();
    const result = await keepTrying(async () => {
      started.push(Date.now() - t0);
      if (started.length < 4) throw new Error(`failure ${started.length}`);
      return 'stored';
    }, { signal: new AbortController().signal, onFailure: (err, tries) => failures.push([(err as Error).message, tries]), firstDelayMs: 20, maxDelayMs: 40 });
    expect(result).toBe('stored');
    expect(failures).toEqual([['failure 1', 1], ['failure 2', 2], ['failure 3', 3]]);
    // Waits of 20, 40, 40 ms (capped): each try starts at least that long after the one before.
    const gaps = started.slice(1).map((t, i) => t - (started[i] as number));
    expect(gaps.map((g, i) => g >= [20, 40, 40][i]! - 2)).toEqual([true, true, true]);
  });

  it('an abort during a wait ends it at once with null, and no further try', async () => {
    const stop = new AbortController();
    let tries = 0;
    const pending = keepTrying(async () => {
      tries += 1;
      throw new Error('database is locked');
    }, { signal: stop.signal, onFailure: () => undefined, firstDelayMs: 60_000 });
    await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    stop.abort();
    expect(await pending).toBeNull();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(tries).toBe(1);
  });

  it('does not try at all once aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    let tries = 0;
    expect(await keepTrying(async () => ++tries, { signal: stop.signal, onFailure: () => undefined })).toBeNull();
    expect(tries).toBe(0);
  });
});
