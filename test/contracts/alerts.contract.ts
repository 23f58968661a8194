import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { AlertsRepository } from '../../src/adapters/db/repositories/alerts-repository.ts';
import { silentLogger } from '../../src/adapters/logging/logger.ts';
import { Alerts, recordAlert } from '../../src/app/alerts/alerts.ts';
import { raised } from '../../src/core/alerts/alerts.ts';

const MIN = 60_000;
const REPEAT = 15 * MIN;
const breaker = { kind: 'trunk-breaker', subject: 'gsm-1', message: 'trunk gsm-1: breaker open' } as const;
const parked = { kind: 'crm-parked', subject: '', message: 'a write was parked' } as const;

/**
 * One connector instance's alerts on the shared database: its own process memory, the shared rows.
 * `sent` collects what it told the admins.
 */
function instance(db: Db, o: { leader: boolean; now: () => number }) {
  const sent: string[] = [];
  const alerts = new Alerts({
    store: new AlertsRepository(db), clock: { now: o.now }, repeatMs: REPEAT, logger: silentLogger,
    notifier: { async send(text) { sent.push(text); } }, isLeader: () => o.leader,
  });
  return { alerts, sent };
}

/**
 * Admin alerts stored in the database: `second` is another instance's connection pool
 * (PostgreSQL) or the same handle (SQLite).
 */
export function alertsContract(label: string, open: () => Promise<{ db: Db; second: Db; close(): Promise<void> }>): void {
describe(`${label}: admin alerts shared by instances and restarts`, () => {
  let h: { db: Db; second: Db; close(): Promise<void> };
  let now = 0;
  const clock = () => now;
  beforeAll(async () => {
    h = await open();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    now = Date.UTC(2027, 0, 15, 7, 0, 0);
    await h.db('admin_alerts').delete();
  });

  it('stores, updates and removes an alert as the change says', async () => {
    const repo = new AlertsRepository(h.db);
    expect(await repo.change('trunk-breaker:gsm-1', () => null)).toBeNull();
    await repo.change('trunk-breaker:gsm-1', (b) => raised(b, breaker, now));
    await repo.change('trunk-breaker:gsm-1', (b) => raised(b, breaker, now + MIN));
    await repo.change('trunk-breaker:gsm-1', (b) => b && { ...b, notifiedAt: now + 2 * MIN });
    expect(await new AlertsRepository(h.second).list()).toEqual([{
      ...breaker, key: 'trunk-breaker:gsm-1', since: now, lastAt: now + MIN, count: 2, notifiedAt: now + 2 * MIN, clearedAt: null,
    }]);
    await repo.change('trunk-breaker:gsm-1', () => null);
    expect(await repo.list()).toEqual([]);
  });

  it('the same alert raised by two instances at once counts both raises', async () => {
    const a = new AlertsRepository(h.db);
    const b = new AlertsRepository(h.second);
    await Promise.all(Array.from({ length: 10 }, (_, i) => recordAlert(i % 2 ? a : b, parked, now + i)));
    expect(await a.list()).toEqual([expect.objectContaining({ key: 'crm-parked', count: 10 })]);
  });

  it('every instance shows the same alerts; the leader tells what another instance or the CLI recorded, once', async () => {
    const leader = instance(h.db, { leader: true, now: clock });
    const other = instance(h.second, { leader: false, now: clock });
    leader.alerts.raise(breaker);
    other.alerts.raise(parked);
    await recordAlert(new AlertsRepository(h.second), { kind: 'import-refused', subject: '', message: 'import of plan.csv refused' }, now);
    await Promise.all([leader.alerts.idle(), other.alerts.idle()]);
    await leader.alerts.tick();
    const keys = ['trunk-breaker:gsm-1', 'crm-parked', 'import-refused'].sort();
    expect((await leader.alerts.active()).map((x) => x.key).sort()).toEqual(keys);
    expect((await other.alerts.active()).map((x) => x.key).sort()).toEqual(keys);
    expect(await other.alerts.counts()).toMatchObject({ 'trunk-breaker': 1, 'crm-parked': 1, 'import-refused': 1 });
    expect(other.sent).toEqual([]);
    expect(leader.sent.sort()).toEqual([
      '[PBX connector] ALERT crm-parked: a write was parked',
      '[PBX connector] ALERT import-refused: import of plan.csv refused',
      '[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open',
    ]);
    // Two leaders for a moment (a lease changing hands) both ticking: nothing is told twice.
    now += MIN;
    other.alerts.raise(parked);
    await other.alerts.idle();
    now += REPEAT - MIN;
    const second = instance(h.second, { leader: true, now: clock });
    await Promise.all([leader.alerts.tick(), second.alerts.tick()]);
    expect([...leader.sent, ...second.sent].filter((t) => t.includes('2 times'))).toEqual(['[PBX connector] ALERT crm-parked: a write was parked (2 times since the first)']);
  });

  it('after a restart an alert is neither told again before the interval nor forgotten when it clears', async () => {
    const first = instance(h.db, { leader: true, now: clock });
    first.alerts.raise(breaker);
    await first.alerts.idle();
    expect(first.sent).toHaveLength(1);

    // A new process on the same database sees the breaker open again five minutes later.
    now += 5 * MIN;
    const restarted = instance(h.second, { leader: true, now: clock });
    expect((await restarted.alerts.active()).map((x) => x.key)).toEqual(['trunk-breaker:gsm-1']);
    restarted.alerts.raise(breaker);
    await restarted.alerts.idle();
    expect(restarted.sent).toEqual([]);
    // Told again once the interval since the first notice is over.
    now += 10 * MIN;
    await restarted.alerts.tick();
    expect(restarted.sent).toEqual(['[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open (2 times since the first)']);
    restarted.alerts.clear('trunk-breaker', 'gsm-1');
    await restarted.alerts.idle();
    expect(restarted.sent[1]).toBe('[PBX connector] cleared trunk-breaker: trunk gsm-1: breaker open');
    expect(await new AlertsRepository(h.db).list()).toEqual([]);
  });

  it('a cleared condition whose notice the leader has not sent yet is off the dashboards and told by the leader', async () => {
    const leader = instance(h.db, { leader: true, now: clock });
    leader.alerts.raise({ kind: 'ami-down', subject: '', message: 'AMI is down' });
    await leader.alerts.idle();
    // The leader is replaced before it could tell the clearing (its last act was the clear write).
    await new AlertsRepository(h.db).change('ami-down', (a) => a && { ...a, clearedAt: now + MIN });
    const other = instance(h.second, { leader: false, now: clock });
    expect(await other.alerts.active()).toEqual([]);
    const next = instance(h.second, { leader: true, now: clock });
    await next.alerts.tick();
    expect(next.sent).toEqual(['[PBX connector] cleared ami-down: AMI is down']);
  });

  it('an event is dropped one interval after it last happened, without a notice', async () => {
    const leader = instance(h.db, { leader: true, now: clock });
    leader.alerts.raise(parked);
    await leader.alerts.idle();
    now += REPEAT;
    expect(await leader.alerts.active()).toEqual([]);
    await leader.alerts.tick();
    expect(await new AlertsRepository(h.db).list()).toEqual([]);
    expect(leader.sent).toHaveLength(1);
  });
});
}
