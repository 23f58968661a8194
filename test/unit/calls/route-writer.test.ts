import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { RouteStepWrite } from '../../../src/app/calls/ports.ts';
import { MAX_ROUTE_BATCH, RouteWriter } from '../../../src/app/calls/route-writer.ts';

/** A store that records its transactions; `fail` names call ids whose write is refused. */
function fakeStore(fail: Set<string> = new Set()) {
  const transactions: string[][] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  return {
    transactions,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    open() {
      release?.();
      gate = null;
    },
    async applyRouteSteps(writes: readonly RouteStepWrite[]) {
      if (gate) await gate;
      if (writes.some((w) => fail.has(w.callId))) throw new Error('unique constraint');
      transactions.push(writes.map((w) => w.callId));
      return [];
    },
  };
}

describe('route writer (group commit behind the answer)', () => {
  it('writes the steps queued while a transaction runs together, in order', async () => {
    const store = fakeStore();
    const w = new RouteWriter(store, silentLogger);
    store.hold();
    const first = w.enqueue({ callId: 'a' }, ['a']);
    const rest = [w.enqueue({ callId: 'b' }, ['b']), w.enqueue({ callId: 'c' }, ['c'])];
    store.open();
    await Promise.all([first, ...rest]);
    expect(store.transactions).toEqual([['a'], ['b', 'c']]);
  });

  it('lets a later request of the same call wait for its pending write', async () => {
    const store = fakeStore();
    const w = new RouteWriter(store, silentLogger);
    store.hold();
    void w.enqueue({ callId: 'a' }, ['a', 'chan-1']);
    let settled = false;
    const waiting = w.settled('chan-1').then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    store.open();
    await waiting;
    expect(store.transactions).toEqual([['a']]);
    await w.settled('unknown');
  });

  it('one bad write does not sink the others of its batch', async () => {
    const store = fakeStore(new Set(['bad']));
    const w = new RouteWriter(store, silentLogger);
    store.hold();
    const a = w.enqueue({ callId: 'x' }, []);
    const batch = [w.enqueue({ callId: 'ok1' }, []), w.enqueue({ callId: 'bad' }, []), w.enqueue({ callId: 'ok2' }, [])];
    store.open();
    await a;
    const results = await Promise.allSettled(batch);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.transactions).toEqual([['x'], ['ok1'], ['ok2']]);
    await w.drain();
  });

  it('writes a backlog in bounded transactions, so a bad write is retried alone among a bounded few', async () => {
    const store = fakeStore(new Set(['bad']));
    const w = new RouteWriter(store, silentLogger);
    store.hold();
    const first = w.enqueue({ callId: 'first' }, []);
    const backlog = Array.from({ length: 2 * MAX_ROUTE_BATCH + 10 }, (_, i) => w.enqueue({ callId: i === MAX_ROUTE_BATCH + 5 ? 'bad' : `c${i}` }, []));
    store.open();
    await first;
    const results = await Promise.allSettled(backlog);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    // The batch with the bad write went one by one; the others whole.
    const sizes = store.transactions.map((t) => t.length);
    expect(Math.max(...sizes)).toBe(MAX_ROUTE_BATCH);
    expect(sizes.filter((n) => n === 1)).toHaveLength(1 + MAX_ROUTE_BATCH - 1);
    expect(store.transactions.flat()).toHaveLength(1 + 2 * MAX_ROUTE_BATCH + 10 - 1);
  });
});

describe('route writer drain under steady routing', () => {
  it('resolves once the writes queued before it are stored, without waiting for those queued after', async () => {
    const store = fakeStore();
    const w = new RouteWriter(store, silentLogger);
    store.hold();
    void w.enqueue({ callId: 'before' }, []);
    const drained = w.drain().then(() => [...store.transactions]);
    // Routing goes on: a write queued after the drain began, still held when the first is stored.
    void w.enqueue({ callId: 'after-1' }, []);
    store.open();
    store.hold();
    void w.enqueue({ callId: 'after-2' }, []);
    expect(await drained).toEqual([['before']]);
    store.open();
    await w.drain();
    expect(store.transactions.flat()).toEqual(['before', 'after-1', 'after-2']);
  });

  it('counts a refused write as done', async () => {
    const store = fakeStore(new Set(['bad']));
    const w = new RouteWriter(store, silentLogger);
    await expect(w.enqueue({ callId: 'bad' }, [])).rejects.toThrow('unique constraint');
    await w.drain();
  });
});
