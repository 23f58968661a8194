import { describe, expect, it } from 'vitest';
import { keepTrying } from '../../../src/app/keep-trying.ts';

describe('keepTrying', () => {
  it('waits before each try, the waits doubling up to the cap, and returns the first success', async () => {
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
    // Waits of 20, 40, 40, 40 ms (capped): each try starts at least that long after the one before.
    const gaps = started.map((t, i) => t - (i === 0 ? 0 : (started[i - 1] as number)));
    expect(gaps.map((g, i) => g >= ([20, 40, 40, 40][i] as number) - 2)).toEqual([true, true, true, true]);
  });

  it('an abort during a wait ends it with null (not a minute later: the test would time out), and no try follows', async () => {
    const stop = new AbortController();
    let tries = 0;
    const pending = keepTrying(async () => {
      tries += 1;
      throw new Error('database is locked');
    }, { signal: stop.signal, onFailure: () => undefined, firstDelayMs: 60_000 });
    await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    expect(await pending).toBeNull();
    expect(tries).toBe(0);
  });

  it('does not try at all once aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    let tries = 0;
    expect(await keepTrying(async () => ++tries, { signal: stop.signal, onFailure: () => undefined })).toBeNull();
    expect(tries).toBe(0);
  });
});
