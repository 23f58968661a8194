import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CallsRepository } from '../../src/adapters/db/repositories/calls-repository.ts';
import { ChannelsRepository } from '../../src/adapters/db/repositories/channels-repository.ts';
import { RouteService, type RouteAnswer } from '../../src/app/calls/route-service.ts';
import { SharedChannels } from '../../src/app/calls/shared-channels.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import { capturingLogger } from './calls-harness.ts';
import { fixedRouting, labRules } from './calls-lab-rules.ts';

export const CHANNEL_TABLES = ['call_tracking', 'call_attempts', 'calls', 'channel_claims'];

export interface ChannelsDbHandle {
  readonly db: Db;
  clean(): Promise<void>;
  close(): Promise<void>;
}

const T0 = Date.UTC(2027, 0, 15, 7, 0, 0);
// +79160000001 is routed to trunk-congestion first, then trunk-answer.
const NUMBER = '+79160000001';

/** One connector instance: its route service and its shared channel counts, the shared database. */
function instance(db: Db, rules: CompiledRules, clock: { now(): number }, staleMs: number) {
  const { logger } = capturingLogger();
  const channels = new SharedChannels({ store: new ChannelsRepository(db), clock, logger, refreshMs: 500, claimMs: 60_000, staleMs });
  const service = new RouteService({ store: new CallsRepository(db, () => clock.now()), routing: fixedRouting(rules), clock, logger, channels });
  return { channels, service };
}
type Instance = ReturnType<typeof instance>;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Trunk channels in use are shared by the instances on one database (`count` of them; one on
 * SQLite): each counts every instance's open attempts, and a trunk's last free channel is taken
 * by one call only, even by instances whose counts are not fresh.
 */
export function channelsContract(label: string, count: number, open: () => Promise<ChannelsDbHandle>): void {
  describe(`shared trunk channels: ${count} instance(s) on ${label}`, () => {
    let handle: ChannelsDbHandle;
    let t = T0;
    const clock = { now: () => t };
    let seq = 0;

    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => handle.close());
    beforeEach(async () => {
      await handle.clean();
      t = T0;
    });

    // Route steps are stored behind the answers: all of a test's land before the next test cleans the tables.
    const made: Instance[] = [];
    afterEach(async () => {
      for (const i of made.splice(0)) {
        await i.service.drain();
        await i.channels.stop();
      }
    });
    const cluster = (rules: CompiledRules, staleMs: number): [Instance, Instance] => {
      const a = instance(handle.db, rules, clock, staleMs);
      const b = count > 1 ? instance(handle.db, rules, clock, staleMs) : a;
      made.push(...new Set([a, b]));
      return [a, b];
    };
    const ask = (i: Instance, uid: string): Promise<RouteAnswer> => i.service.route(
      { exten: NUMBER, attemptNo: 1, dialStatus: '', hangupCause: null, uniqueid: uid, callerIdNum: '100' },
      { read: async () => ({ callerExtension: '100', linkedid: uid }) },
    );
    const trunkOf = (a: RouteAnswer) => (a.action === 'dial' ? a.trunkId : a.action === 'stop' ? `stop:${a.code}` : 'failopen');
    /** Every route step stored, then every instance's counts read again. */
    const settle = async (...all: Instance[]) => {
      for (const i of all) await i.service.drain();
      for (const i of all) await i.channels.refresh();
    };
    /** The call ends: its instance frees the channel, and the leader's tracker stores the end. */
    const end = async (i: Instance, answer: RouteAnswer) => {
      if (answer.action !== 'dial') throw new Error('not dialled');
      i.service.callEnded(answer.callId);
      await handle.db('calls').where({ id: answer.callId }).update({ state: 'ended', ended_at: clock.now() });
    };

    it('every instance counts the channels the others use; two calls at once for the last channel: one gets it', async () => {
      const rules = labRules({ trunks: { 'trunk-congestion': { channels: 2 } } });
      const [a, b] = cluster(rules, 60_000);
      await settle(a, b);
      const first = await ask(a, `ch-${++seq}`);
      expect(trunkOf(first)).toBe('trunk-congestion');
      await settle(a, b);
      // Counted once by its own instance (stored and local are the same call), once by the other.
      expect(a.channels.inUse('trunk-congestion')).toBe(1);
      expect(b.channels.inUse('trunk-congestion')).toBe(1);

      const both = await Promise.all([ask(a, `ch-${++seq}`), ask(b, `ch-${++seq}`)]);
      expect(both.map(trunkOf).sort()).toEqual(['trunk-answer', 'trunk-congestion']);
      await settle(a, b);
      expect(b.channels.busy()).toMatchObject({ 'trunk-congestion': 2 });
      expect(trunkOf(await ask(b, `ch-${++seq}`))).toBe('trunk-answer');

      // A call ended on one instance frees the channel for all of them.
      await end(a, first);
      await settle(a, b);
      expect(b.channels.inUse('trunk-congestion')).toBe(1);
    });

    it('an instance whose counts have not seen the last channel taken cannot take it too', async () => {
      const rules = labRules({ trunks: { 'trunk-congestion': { channels: 1 } } });
      const [a, b] = cluster(rules, 60_000);
      await settle(a, b);
      expect(trunkOf(await ask(a, `ch-${++seq}`))).toBe('trunk-congestion');
      await a.service.drain();
      // b has not read the counts again: the claim stops it.
      expect(trunkOf(await ask(b, `ch-${++seq}`))).toBe('trunk-answer');
    });

    it('once the claiming attempt is stored and counted, the claim lets go: the freed channel is taken at once', async () => {
      const rules = labRules({ trunks: { 'trunk-congestion': { channels: 1 } } });
      const [a, b] = cluster(rules, 0);
      await settle(a, b);
      const first = await ask(a, `ch-${++seq}`);
      expect(trunkOf(first)).toBe('trunk-congestion');
      await a.service.drain();
      await until('the claim shortened to the counts\' staleness', async () => (await handle.db('channel_claims').where({ trunk_id: 'trunk-congestion' }).first('expires_at'))
        ?.expires_at <= Date.now() + 1000);
      await end(a, first);
      await settle(a, b);
      expect(trunkOf(await ask(b, `ch-${++seq}`))).toBe('trunk-congestion');
    });
  });
}
