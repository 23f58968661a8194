import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clickIntake } from '../../src/adapters/db/click-intake.ts';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CrmEventsRepository } from '../../src/adapters/db/repositories/crm-events-repository.ts';
import { OutboxRepository } from '../../src/adapters/db/repositories/outbox-repository.ts';
import type { NewCall } from '../../src/app/calls/ports.ts';
import { CrmEvents } from '../../src/app/crm/crm-events.ts';
import { compiledTestRules, manualClock, RoutingClickToCall } from '../integration/crm/fixtures.ts';

export interface ClickDbHandle {
  readonly db: Db;
  /** What another process opens to reach the same database. */
  readonly url: string;
  /**
   * After the process at `url` was killed: returns once nothing it sent can still commit (on
   * PostgreSQL a statement already on the server commits all the same, after the kill).
   */
  afterKill?(): Promise<void>;
  clean(): Promise<void>;
  close(): Promise<void>;
}

/** The tables these tests write: other suites share the PostgreSQL database. */
export const CLICK_TABLES = ['crm_outbox', 'crm_events', 'call_tracking', 'call_attempts', 'calls'];

const here = path.dirname(fileURLToPath(import.meta.url));
const click = (n: number) => ({ event: 'ONEXTERNALCALLSTART', eventKey: `externalCall.${String(n).padStart(32, '0')}.1795440000`, data: { CALL_ID: `c${n}` }, ts: 1_795_440_000 });
const call = (n: number, over: Partial<NewCall> = {}): NewCall => ({
  id: `c2c-t${n}`, crmCallId: click(n).eventKey, channelId: `c2c-t${n}-a`, linkedid: `c2c-t${n}-a`, origin: 'crm', userId: '1', extension: '100',
  number: '+79261234567', numberE164: '+79261234567', line: null, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: 1, ...over,
});

/** A click's event and call: stored together or not at all, before its Originate; on SQLite and PostgreSQL alike. */
export function clickIntakeContract(name: string, open: () => Promise<ClickDbHandle>): void {
  describe(`${name}: a click's event and call in one transaction`, () => {
    let h: ClickDbHandle;
    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => h.close());
    beforeEach(async () => h.clean());

    // One statement, so one snapshot: a batch the killed writer sent just before may still commit between two reads.
    const rows = async () => {
      const all = (await h.db.raw(`SELECT 'e' AS kind, event_key AS k FROM crm_events UNION ALL SELECT 'c' AS kind, crm_call_id AS k FROM calls`)) as unknown;
      const list = (Array.isArray(all) ? all : (all as { rows: unknown[] }).rows) as { kind: string; k: string }[];
      const of = (kind: string) => list.filter((r) => r.kind === kind).map((r) => r.k).sort();
      return { events: of('e'), calls: of('c') };
    };

    it('stores concurrent clicks together (shared commits), each event with its call; a repeated CALL_ID is stored once', async () => {
      const clicks = clickIntake(h.db);
      const store = (n: number) => clicks.store({ event: click(n), receivedAt: 1000, call: call(n) });
      const results = await Promise.all([...Array.from({ length: 40 }, (_, i) => store(i)), store(7), store(7)]);
      expect(results.filter((r) => r.event !== null && r.callCreated)).toHaveLength(40);
      expect(results.filter((r) => r.event === null)).toHaveLength(2);
      const stored = await rows();
      expect(stored.events).toHaveLength(40);
      expect(stored.calls).toEqual(stored.events);
    });

    it('a click that is not dialled stores its event alone, in the same batch as clicks that are', async () => {
      const clicks = clickIntake(h.db);
      const results = await Promise.all([clicks.store({ event: click(1), receivedAt: 1000, call: null }), clicks.store({ event: click(2), receivedAt: 1000, call: call(2) })]);
      expect(results.map((r) => [r.event?.eventKey, r.callCreated])).toEqual([[click(1).eventKey, false], [click(2).eventKey, true]]);
      expect(await rows()).toEqual({ events: [click(1).eventKey, click(2).eventKey], calls: [click(2).eventKey] });
    });

    it('a click whose call cannot be stored leaves nothing behind, and does not fail the clicks committed with it', async () => {
      const clicks = clickIntake(h.db);
      // Call 2 is refused by the database (number is NOT NULL).
      const outcomes = await Promise.allSettled([1, 2, 3].map((n) => clicks.store({
        event: click(n), receivedAt: 1000, call: call(n, n === 2 ? { number: null as unknown as string } : {}),
      })));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await rows()).toEqual({ events: [click(1).eventKey, click(3).eventKey], calls: [click(1).eventKey, click(3).eventKey] });
    });

    it('SIGKILL while clicks are being stored: every click acknowledged is there with its call, none half-stored; after the restart none is dialled', async () => {
      const child = fork(path.join(here, '../support/click-writer-process.ts'), [h.url], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
      const acknowledged: string[] = [];
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise<void>((resolve) => {
        child.on('message', (m: { type: string; callId?: string }) => {
          if (m.type !== 'stored' || !m.callId) return;
          acknowledged.push(m.callId);
          // Killed mid-stream: other transactions are under way.
          if (acknowledged.length === 60) {
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      await exited;
      await h.afterKill?.();
      const stored = await rows();
      expect(stored.events).toEqual(expect.arrayContaining(acknowledged));
      // Atomic: no event without its call, no call without its event.
      expect(stored.calls).toEqual(stored.events);

      // The restart: events left `processing` are taken over; a stored call may have been dialled, so none is dialled again.
      const rules = compiledTestRules();
      const port = new RoutingClickToCall(() => rules, async (crmCallId) => (await h.db('calls').where({ crm_call_id: crmCallId }).first('id')) !== undefined);
      const events = new CrmEvents({
        events: new CrmEventsRepository(h.db), clicks: clickIntake(h.db), outbox: new OutboxRepository(h.db),
        results: { notify: () => undefined, waitFor: async () => null }, gateway: () => null, clickToCall: port, rules: { current: () => rules },
        clock: manualClock(Date.now()),
      });
      expect(await events.resumePending()).toBe(stored.events.length);
      expect(port.originated).toEqual([]);
      expect(await new CrmEventsRepository(h.db).listUnprocessed()).toEqual([]);
    });
  });
}
