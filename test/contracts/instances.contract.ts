import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amiGet } from '../../src/adapters/asterisk/ami/codec.ts';
import { clickToCall } from '../../src/composition/demo-calls.ts';
import { pbxLeader, startCluster, waitFor, type Cluster, type Instance } from '../support/cluster.ts';

export interface InstancesDatabase {
  readonly databaseUrl: (proxyPort: number | null) => string;
  readonly databasePort: number | null;
  close(): Promise<void>;
}

/**
 * Several instances on one database (one on SQLite): leader-only work has one owner at a time,
 * a click is dialled once and recorded once whichever instance takes it and whichever instance
 * dies, and the scheduled user sync runs once per schedule.
 */
export function instancesContract(label: string, count: number, openDatabase: () => Promise<InstancesDatabase>): void {
  describe(`${label}: ${count} instance(s) on one database`, () => {
    let database: InstancesDatabase;
    let c: Cluster;

    beforeAll(async () => {
      database = await openDatabase();
      c = await startCluster({
        databaseUrl: database.databaseUrl,
        databasePort: database.databasePort,
        // Calls to numbers ending in 1 or 2 (the takeover cases) talk 160 s of PBX time: 8 s real at
        // timeScale 0.05, over twice the lease TTL; the others 1 s real.
        trunks: [
          { match: '*1', outcome: { kind: 'answer', ringMs: 200, talkMs: 160_000 } },
          { match: '*2', outcome: { kind: 'answer', ringMs: 200, talkMs: 160_000 } },
          { match: '*', outcome: { kind: 'answer', ringMs: 200, talkMs: 20_000 } },
        ],
        phones: { 101: { kind: 'noanswer' }, 102: { kind: 'busy' } },
        timeScale: 0.05,
        env: { B24_USER_SYNC_CRON: '* * * * * *', ORIGINATE_TIMEOUT_MS: '5000' },
      });
      for (let i = 0; i < count; i++) await c.start();
      await waitFor('a PBX leader', () => pbxLeader(c) !== undefined);
    });
    afterAll(async () => {
      await c?.close();
      await database?.close();
    });

    const live = (): Instance[] => c.instances.filter((i) => i.alive);
    const other = (than: Instance | undefined): Instance => live().find((i) => i !== than) ?? live()[0] as Instance;
    const finishes = (crmCallId: string) => c.bitrix24.callsOf('telephony.externalcall.finish').filter((r) => r.params.CALL_ID === crmCallId && r.status === 200);
    /** Originates that reached the PBX for this manager's phone (each rings it once). */
    const originates = (since: number, extension: string) => c.pbx.events.slice(since)
      .filter((e) => amiGet(e, 'Event') === 'DialBegin' && amiGet(e, 'Channel') === undefined && (amiGet(e, 'DestChannel') ?? '').startsWith(`PJSIP/${extension}-`)).length;
    const answeredSince = (since: number) => (): boolean => c.pbx.events.slice(since)
      .some((e) => amiGet(e, 'Event') === 'DialEnd' && amiGet(e, 'DialStatus') === 'ANSWER' && amiGet(e, 'Channel') !== undefined);
    const finishedOnce = async (crmCallId: string): Promise<void> => {
      await waitFor(`the record of ${crmCallId}`, () => finishes(crmCallId).length > 0, 20_000);
      // No finish of this call left queued: a second one would have been sent by now.
      await waitFor('no finish of the call queued', async () => {
        const outbox = live()[0]?.connector.crm.outbox;
        if (!outbox) return true;
        const queued = [...await outbox.list({ state: 'pending' }), ...await outbox.list({ state: 'inflight' })];
        return !queued.some((e) => e.method === 'telephony.externalcall.finish' && e.params.CALL_ID === crmCallId);
      });
      expect(finishes(crmCallId)).toHaveLength(1);
    };

    it('one instance holds each lease; a click through any instance is dialled once and closed once', async () => {
      const holders = live().filter((i) => i.connector.leaders.pbx.gate.term() !== null);
      expect(holders).toHaveLength(1);
      expect(live().filter((i) => i.connector.leaders.jobs.gate.term() !== null)).toHaveLength(1);
      const via = other(holders[0]);
      const since = c.pbx.events.length;
      const crmCallId = await clickToCall(c.bitrix24, via.baseUrl, { title: '', userId: '1', number: '+79151234567' });
      await finishedOnce(crmCallId);
      expect(originates(since, '100')).toBe(1);
      expect(finishes(crmCallId)[0]?.params, JSON.stringify(finishes(crmCallId)[0]?.params)).toMatchObject({ STATUS_CODE: '200' });
    });

    it('the manager\'s phone not answering is closed once, from the OriginateResponse, by the PBX leader', async () => {
      const via = other(pbxLeader(c));
      const since = c.pbx.events.length;
      const crmCallId = await clickToCall(c.bitrix24, via.baseUrl, { title: '', userId: '2', number: '+79151234567' });
      await finishedOnce(crmCallId);
      expect(originates(since, '101')).toBe(1);
      expect(finishes(crmCallId)[0]?.params.STATUS_CODE).toBe('603-S');
    });

    it('the manager\'s phone busy (refused at once) is closed once by the PBX leader, whichever instance sent the Originate', async () => {
      const via = other(pbxLeader(c));
      const since = c.pbx.events.length;
      const crmCallId = await clickToCall(c.bitrix24, via.baseUrl, { title: '', userId: '3', number: '+79151234567' });
      await finishedOnce(crmCallId);
      expect(originates(since, '102')).toBeLessThanOrEqual(1);
      expect(finishes(crmCallId)[0]?.params.STATUS_CODE).toBe('603-S');
    });

    it('the scheduled user sync runs once per schedule (one run per second, whoever leads)', async () => {
      const from = Date.now();
      const runs = () => c.bitrix24.received.filter((r) => r.method === 'user.get' && r.at >= from).map((r) => Math.floor(r.at / 1000));
      await waitFor('three scheduled user syncs', () => new Set(runs()).size >= 3);
      const perSecond = new Map<number, number>();
      for (const s of runs()) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
      expect(Math.max(...perSecond.values())).toBe(1);
    });

    it('a rules change through one instance reaches every instance; an invalid set is refused and the old one stays', async () => {
      const [first] = live();
      if (!first) throw new Error('no instance');
      const before = first.connector.rules.version;
      const routing = path.join(c.rulesDir, 'routing.yaml');
      fs.writeFileSync(routing, fs.readFileSync(routing, 'utf8').replace(/^maxAttempts: \d+/m, 'maxAttempts: 3'));
      const reloaded = await first.connector.reload();
      expect(reloaded).toEqual({ ok: true, errors: [] });
      await waitFor('every instance on the new rules version', () => live().every((i) => i.connector.rules.version === before + 1 && i.connector.rules.current().rules.maxAttempts === 3));

      const trunks = path.join(c.rulesDir, 'trunks.yaml');
      const good = fs.readFileSync(trunks, 'utf8');
      fs.writeFileSync(trunks, 'trunks: [{ id: broken }]\n');
      const refused = await first.connector.reload();
      fs.writeFileSync(trunks, good);
      expect(refused.ok).toBe(false);
      expect(refused.errors.join('\n')).toContain('trunks.yaml: trunks[0].kind');
      expect(live().map((i) => i.connector.rules.version)).toEqual(live().map(() => before + 1));
    });

    it('the PBX leader killed mid-call: another instance (or the restarted one) takes over after the lease expires; the call is recorded once', async () => {
      // A loaded machine can let the lease lapse between two tests: wait for the (next) leader.
      await waitFor('a PBX leader', () => pbxLeader(c) !== undefined);
      const leader = pbxLeader(c);
      if (!leader) throw new Error('no PBX leader');
      const since = c.pbx.events.length;
      const crmCallId = await clickToCall(c.bitrix24, leader.baseUrl, { title: '', userId: '1', number: '+79151234561' });
      await waitFor('the callee to answer', answeredSince(since));
      // The leader has written the call's in-flight state: what a successor starts from.
      await waitFor('the in-flight call stored', async () => Number(((await leader.connector.db('call_tracking').count({ n: '*' }).first()) as { n: number | string }).n) > 0);
      const crashedAt = Date.now();
      await c.crash(leader);
      if (live().length === 0) await c.start();
      const successor = await new Promise<Instance>((resolve) => {
        for (const i of live()) {
          if (i.connector.leaders.pbx.gate.term() !== null) resolve(i);
          i.connector.leaders.pbx.gate.once('acquired', () => resolve(i));
        }
      });
      const tookMs = Date.now() - crashedAt;
      expect(successor === leader, "a new instance leads").toBe(false);
      await finishedOnce(crmCallId);
      expect(originates(since, '100')).toBe(1);
      process.stdout.write(`${label}: takeover ${tookMs} ms after the crash (lease TTL ${c.ttlMs} ms)\n`);
    });

    it.runIf(count > 1)('the PBX leader cut off from the database stops following the PBX; the new leader closes the call once', async () => {
      // A loaded machine can let the lease lapse between two tests: wait for the (next) leader.
      await waitFor('a PBX leader', () => pbxLeader(c) !== undefined);
      const leader = pbxLeader(c);
      if (!leader) throw new Error('no PBX leader');
      const since = c.pbx.events.length;
      const crmCallId = await clickToCall(c.bitrix24, other(leader).baseUrl, { title: '', userId: '1', number: '+79151234562' });
      await waitFor('the callee to answer', answeredSince(since));
      const lost = new Promise<void>((resolve) => leader.connector.leaders.pbx.gate.once('lost', () => resolve()));
      const acquired = Promise.race(live().filter((i) => i !== leader).map((i) => new Promise<Instance>((resolve) => i.connector.leaders.pbx.gate.once('acquired', () => resolve(i)))));
      await leader.db?.cut();
      // Out of the pool of instances the test reads through (and of the AGI round robin).
      leader.alive = false;
      await lost;
      const seenWhenLost = leader.connector.calls.tracker.eventsSeen;
      const successor = await acquired;
      expect(successor === leader, "a new instance leads").toBe(false);
      await finishedOnce(crmCallId);
      // Its AMI connection is up, yet it no longer takes in the PBX's events.
      expect(leader.connector.ami?.connected).toBe(true);
      expect(leader.connector.calls.tracker.eventsSeen).toBe(seenWhenLost);
      expect(leader.connector.calls.tracker.openCalls).toBe(0);
      expect(originates(since, '100')).toBe(1);
    });
  });
}
