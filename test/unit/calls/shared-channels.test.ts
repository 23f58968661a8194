import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { ChannelStore } from '../../../src/app/calls/ports.ts';
import { SharedChannels } from '../../../src/app/calls/shared-channels.ts';

/** A store whose reads are answered by the test, one at a time. */
function heldStore() {
  const reads: ((counts: Map<string, number>) => void)[] = [];
  const store: ChannelStore = {
    busyByTrunk: () => new Promise((resolve) => reads.push(resolve)),
    claimLast: async () => true,
    holdClaim: async () => undefined,
  };
  return { store, answer: (counts: Record<string, number>) => reads.shift()?.(new Map(Object.entries(counts))) };
}

const make = (store: ChannelStore) => new SharedChannels({ store, clock: { now: () => 0 }, logger: silentLogger, refreshMs: 500, claimMs: 5000, staleMs: 1000 });

/** A store whose claims all get `answer`, on a clock the test sets; `asked` lists the calls the database was asked for. */
function claiming(answer: boolean) {
  const clock = { at: 0, now: () => clock.at };
  const asked: string[] = [];
  const store: ChannelStore = { busyByTrunk: async () => new Map(), claimLast: async (_trunk, callId) => { asked.push(callId); return answer; }, holdClaim: async () => undefined };
  const channels = new SharedChannels({ store, clock, logger: silentLogger, refreshMs: 500, claimMs: 5000, staleMs: 1000 });
  return { channels, clock, asked };
}

describe('SharedChannels', () => {
  it('adds the other instances\' calls to its own, counting a call of its own once whether or not the read saw it', async () => {
    const { store, answer } = heldStore();
    const channels = make(store);
    channels.acquire('own-1', 'gsm');
    // The read begins; own-2 starts while it runs (the read cannot have seen it), own-1 is stored.
    const read = channels.refresh();
    channels.acquire('own-2', 'gsm');
    // Stored: own-1 and two calls of another instance.
    answer({ gsm: 3 });
    await read;
    expect(channels.inUse('gsm')).toBe(4);
    // own-1 ends: counted stored, now freed here at once.
    channels.release('own-1');
    expect(channels.busy()).toEqual({ gsm: 3 });
  });

  it('a refresh asked for while a read runs waits for a read that began after it', async () => {
    const { store, answer } = heldStore();
    const channels = make(store);
    const first = channels.refresh();
    let secondDone = false;
    const second = channels.refresh().then(() => {
      secondDone = true;
    });
    answer({ gsm: 1 });
    await first;
    expect(secondDone).toBe(false);
    await Promise.resolve();
    answer({ gsm: 2 });
    await second;
    expect(channels.inUse('gsm')).toBe(2);
  });

  it('never counts fewer than its own calls (a failed read keeps the last counts)', async () => {
    const store: ChannelStore = { busyByTrunk: async () => { throw new Error('connection refused'); }, claimLast: async () => true, holdClaim: async () => undefined };
    const channels = make(store);
    channels.acquire('own-1', 'gsm');
    await channels.refresh();
    expect(channels.inUse('gsm')).toBe(1);
  });

  it('refuses its own claimed last channel to another call without asking the database, until the claim may have lapsed', async () => {
    const { channels, clock, asked } = claiming(true);
    expect(await channels.claimLast('gsm', 'a')).toBe(true);
    channels.acquire('a', 'gsm');
    expect(await channels.claimLast('gsm', 'b')).toBe(false);
    // Stored: the claim now holds for the counts' staleness (1 s) from here, less the clock guard.
    channels.claimStored('gsm', 'a');
    clock.at = 700;
    expect(await channels.claimLast('gsm', 'b')).toBe(false);
    expect(asked).toEqual(['a']);
    // Past it, the database decides (its claim may have lapsed).
    clock.at = 900;
    expect(await channels.claimLast('gsm', 'b')).toBe(true);
    expect(asked).toEqual(['a', 'b']);
  });

  it('asks the database again as soon as its own claiming call has left the trunk', async () => {
    const { channels, asked } = claiming(true);
    expect(await channels.claimLast('gsm', 'a')).toBe(true);
    channels.acquire('a', 'gsm');
    channels.release('a');
    expect(await channels.claimLast('gsm', 'b')).toBe(true);
    expect(asked).toEqual(['a', 'b']);
  });

  it('after the database refused a trunk\'s last channel, refuses it to other calls for 100 ms without asking again', async () => {
    const { channels, clock, asked } = claiming(false);
    expect(await channels.claimLast('gsm', 'a')).toBe(false);
    clock.at = 99;
    expect(await channels.claimLast('gsm', 'b')).toBe(false);
    expect(await channels.claimLast('sip', 'b')).toBe(false);
    expect(asked).toEqual(['a', 'b']);
    clock.at = 100;
    expect(await channels.claimLast('gsm', 'c')).toBe(false);
    expect(asked).toEqual(['a', 'b', 'c']);
  });
});
