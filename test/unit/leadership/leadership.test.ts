import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { LeaseLostError, Leadership, whileLeader, type LeaseStore } from '../../../src/app/leadership/leadership.ts';

/** A lease store answering claims from a script; a `hang` answer never comes (a cut-off database). */
function scriptedStore(answers: (number | null | 'hang')[]): LeaseStore & { checks: number } {
  const store = {
    checks: 0,
    claim: () => {
      const next = answers.length > 1 ? answers.shift() : answers[0];
      return next === 'hang' ? new Promise<number | null>(() => undefined) : Promise.resolve(next ?? null);
    },
    release: async () => undefined,
    check: async () => {
      store.checks += 1;
    },
  };
  return store;
}

const leadership = (store: LeaseStore) => new Leadership({ name: 'pbx', holder: 'me', store, ttlMs: 60, logger: silentLogger });

describe('a leader lease seen from its holder', () => {
  it('a holder whose renewals go unanswered steps down once its lease would have expired', async () => {
    const gate = leadership(scriptedStore([1, 'hang']));
    const lost = once(gate, 'lost');
    await gate.start();
    expect(gate.term()).toBe(1);
    expect(await lost).toEqual([1]);
    expect(gate.term()).toBeNull();
    await expect(gate.check()).rejects.toBeInstanceOf(LeaseLostError);
    await gate.stop();
  });

  it('a holder whose renewals are answered slower than the heartbeat (a loaded pool) keeps its lease', async () => {
    vi.useFakeTimers();
    try {
      let inFlight = 0;
      let most = 0;
      let claims = 0;
      // ttl 60 ms, so a claim every 20 ms; each answered 35 ms after it is sent, inside the ttl.
      const store: LeaseStore = {
        claim: async () => {
          claims += 1;
          inFlight += 1;
          most = Math.max(most, inFlight);
          if (claims > 1) await new Promise((resolve) => setTimeout(resolve, 35));
          inFlight -= 1;
          return 1;
        },
        release: async () => undefined,
        check: async () => undefined,
      };
      const gate = new Leadership({ name: 'pbx', holder: 'me', store, ttlMs: 60, logger: silentLogger, now: () => Date.now() });
      let lost = false;
      gate.on('lost', () => (lost = true));
      await gate.start();
      await vi.advanceTimersByTimeAsync(500);
      expect(claims).toBeGreaterThanOrEqual(20);
      expect(lost).toBe(false);
      expect(gate.term()).toBe(1);
      // The claims overlapped: each answer came after the next claim was sent.
      expect(most).toBeGreaterThan(1);
      await gate.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('another holder\'s running lease: never acquired, and leader-only checks refuse', async () => {
    const store = scriptedStore([null]);
    const gate = leadership(store);
    await gate.start();
    expect(gate.term()).toBeNull();
    await expect(gate.check()).rejects.toBeInstanceOf(LeaseLostError);
    expect(store.checks).toBe(0);
    await gate.stop();
  });

  it('a lease taken again under a new term ends the work of the old term before the new one starts', async () => {
    const gate = leadership(scriptedStore([1, 2]));
    const steps: string[] = [];
    const acquiredTwice = new Promise<void>((resolve) => gate.on('acquired', (t) => t === 2 && resolve()));
    await gate.start();
    const w = whileLeader(gate, async (term) => {
      steps.push(`lead ${term}`);
    }, async () => {
      steps.push('step down');
    }, silentLogger);
    await acquiredTwice;
    await w.settled();
    expect(steps).toEqual(['lead 1', 'step down', 'lead 2']);
    await w.stop();
    await gate.stop();
    expect(steps.at(-1)).toBe('step down');
  });
});
