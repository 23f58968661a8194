import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { CallTracker } from '../../../src/app/calls/tracker.ts';
import type { CallStore } from '../../../src/app/calls/ports.ts';

/** A store that only answers the channel lookup, counting what it was asked. */
function lookupStore(): { store: CallStore; asked: string[] } {
  const asked: string[] = [];
  const store = {
    findByChannelId: async (channelId: string) => {
      asked.push(channelId);
      return null;
    },
  } as unknown as CallStore;
  return { store, asked };
}

describe("an OriginateResponse for a channel the tracker does not follow", () => {
  it("is looked up in the database only when it is a connector's click-to-call (another instance's Originate)", async () => {
    const { store, asked } = lookupStore();
    const tracker = new CallTracker({ store, clock: { now: () => 1_795_440_000_000 }, logger: silentLogger, lineOf: () => null, failOpenTrunk: null, failOpenPerMinute: null });
    const response = (uniqueid: string) => ({ event: 'OriginateResponse', response: 'Success', uniqueid, channel: 'Local/100@phones-00000001;1', actionid: 'other-app-1' });
    // A dialer's or a PBX app's Originate, and a click-to-call another instance sent.
    tracker.handle(response('1795440000.17'));
    tracker.handle(response('desk-8f3a-b'));
    tracker.handle(response('c2c-elsewhere-a'));
    await tracker.flush();
    expect(asked).toEqual(['c2c-elsewhere-a']);
    expect(tracker.openCalls).toBe(0);
  });
});
