import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { Alerts, type AlertStore } from '../../../src/app/alerts/alerts.ts';
import { afterNotice, cleared, countByKind, expired, isActive, noticeDue, noticeText, raised, type StoredAlert } from '../../../src/core/alerts/alerts.ts';

const MIN = 60_000;
const REPEAT = 15 * MIN;
const breaker = { kind: 'trunk-breaker', subject: 'gsm-1', message: 'trunk gsm-1: breaker open' } as const;
const parked = { kind: 'crm-parked', subject: '', message: 'a write was parked' } as const;

/** The notice due at `now`, and the alert as it is once that notice is sent. */
function tell(a: StoredAlert, now: number): { notice: string | null; after: StoredAlert | null } {
  const n = noticeDue(a, now, REPEAT);
  return { notice: n && noticeText(n), after: n ? afterNotice(a, n, now) : a };
}

describe('alert model', () => {
  it('tells once per repeat interval however often the alert is raised, then once when it clears', () => {
    let a = raised(null, breaker, 0);
    let t = tell(a, 0);
    expect(t.notice).toBe('[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open');
    a = raised(t.after, breaker, 5 * MIN);
    expect(tell(a, 5 * MIN).notice).toBeNull();
    expect(tell(a, 14 * MIN).notice).toBeNull();
    t = tell(a, 15 * MIN);
    expect(t.notice).toBe('[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open (2 times since the first)');
    expect(t.after).toMatchObject({ since: 0, lastAt: 5 * MIN, count: 2, notifiedAt: 15 * MIN });
    // Not raised again since the last notice: nothing more to tell however long it lasts.
    expect(tell(t.after!, 60 * MIN).notice).toBeNull();
    const c = cleared(t.after, 70 * MIN)!;
    expect(isActive(c, 70 * MIN, REPEAT)).toBe(false);
    t = tell(c, 70 * MIN);
    expect(t.notice).toBe('[PBX connector] cleared trunk-breaker: trunk gsm-1: breaker open');
    expect(t.after).toBeNull();
  });

  it('clearing what is not raised, or what no one was told of, leaves nothing and tells no one', () => {
    expect(cleared(null, 0)).toBeNull();
    expect(cleared(raised(null, breaker, 0), MIN)).toBeNull();
  });

  it('a condition raised again before its cleared notice went out simply goes on', () => {
    const told = tell(raised(null, breaker, 0), 0).after;
    const again = raised(cleared(told, MIN), breaker, 2 * MIN);
    expect(again).toMatchObject({ since: 0, count: 2, notifiedAt: 0, clearedAt: null });
    expect(tell(again, 3 * MIN).notice).toBeNull();
  });

  it('counts by kind and subject', () => {
    const all = [raised(null, breaker, 0), raised(null, { ...breaker, subject: 'gsm-2' }, 0), raised(null, { kind: 'sim-credit', subject: 'gsm-1', message: 'no credit' }, 0)];
    expect(countByKind(all)).toEqual({ 'sim-credit': 1, 'trunk-breaker': 2, 'crm-parked': 0, 'ami-down': 0, 'import-refused': 0 });
  });

  it('drops an event one repeat interval after its last occurrence; a condition stays until cleared', () => {
    const p = raised(raised(null, parked, 0), parked, 10 * MIN);
    const b = raised(null, breaker, 0);
    expect(expired(p, 24 * MIN, REPEAT)).toBe(false);
    expect(expired(p, 25 * MIN, REPEAT)).toBe(true);
    expect(noticeDue(p, 25 * MIN, REPEAT)).toBeNull();
    expect(isActive(b, 24 * 60 * MIN, REPEAT)).toBe(true);
  });
});

/** The store as a map (the database's is held to the same contract in test/contracts/alerts.contract.ts). */
function memoryStore(): AlertStore & { rows: Map<string, StoredAlert> } {
  const rows = new Map<string, StoredAlert>();
  return {
    rows,
    async change(key, fn) {
      const after = fn(rows.get(key) ?? null);
      if (after) rows.set(key, after);
      else rows.delete(key);
      return after;
    },
    async list() {
      return [...rows.values()];
    },
  };
}

describe('alerts use case', () => {
  function setup(o: { leader?: boolean; failing?: boolean; store?: AlertStore } = {}) {
    let now = 0;
    const sent: { text: string; tag: string }[] = [];
    const alerts = new Alerts({
      store: o.store ?? memoryStore(), clock: { now: () => now }, repeatMs: REPEAT, logger: silentLogger,
      notifier: { async send(text, tag) { if (o.failing) throw new Error('portal down'); sent.push({ text, tag }); } },
      ...(o.leader === undefined ? {} : { isLeader: () => o.leader! }),
    });
    return { alerts, sent, at: (ms: number) => { now = ms; } };
  }

  it('sends notices in order and lists the active alerts', async () => {
    const { alerts, sent, at } = setup();
    alerts.raise(breaker);
    alerts.raise(breaker);
    at(MIN);
    alerts.raise(parked);
    await alerts.idle();
    expect((await alerts.active()).map((a) => a.key)).toEqual(['trunk-breaker:gsm-1', 'crm-parked']);
    alerts.clear('trunk-breaker', 'gsm-1');
    await alerts.idle();
    expect(sent.map((s) => s.text)).toEqual([
      '[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open',
      '[PBX connector] ALERT crm-parked: a write was parked',
      '[PBX connector] cleared trunk-breaker: trunk gsm-1: breaker open',
    ]);
    expect(sent[0]!.tag).toBe('trunk-breaker:gsm-1');
    expect(await alerts.active()).toHaveLength(1);
  });

  it('an instance that is not the leader records its own events and leaves the shared kinds and every notice to the leader', async () => {
    const store = memoryStore();
    const other = setup({ leader: false, store });
    other.alerts.raise(breaker);
    other.alerts.raise({ kind: 'ami-down', subject: '', message: 'AMI is down' });
    other.alerts.raise(parked);
    await other.alerts.idle();
    expect(other.sent).toEqual([]);
    expect(await other.alerts.counts()).toMatchObject({ 'trunk-breaker': 0, 'ami-down': 0, 'crm-parked': 1 });
    const leader = setup({ leader: true, store });
    await leader.alerts.tick();
    expect(leader.sent.map((s) => s.tag)).toEqual(['crm-parked']);
  });

  it('the leader clears a stored condition that ended unseen (a breaker closed during a restart) and tells it', async () => {
    const store = memoryStore();
    const before = setup({ store });
    before.alerts.raise(breaker);
    before.alerts.raise({ ...breaker, subject: 'gsm-2' });
    await before.alerts.idle();
    const sent: string[] = [];
    const after = new Alerts({
      store, clock: { now: () => MIN }, repeatMs: REPEAT, logger: silentLogger, notifier: { async send(text) { sent.push(text); } },
      stillHolds: (a) => (a.subject === 'gsm-1' ? false : undefined),
    });
    await after.tick();
    expect(sent).toEqual(['[PBX connector] cleared trunk-breaker: trunk gsm-1: breaker open']);
    expect((await after.active()).map((a) => a.key)).toEqual(['trunk-breaker:gsm-2']);
  });

  it('what this instance raised is told even when it is already over as the tick looks (AMI back at once)', async () => {
    const sent: string[] = [];
    const alerts = new Alerts({
      store: memoryStore(), clock: { now: () => 0 }, repeatMs: REPEAT, logger: silentLogger, notifier: { async send(text) { sent.push(text); } },
      stillHolds: () => false,
    });
    alerts.raise({ kind: 'ami-down', subject: '', message: 'AMI is down' });
    alerts.clear('ami-down');
    await alerts.idle();
    expect(sent).toEqual(['[PBX connector] ALERT ami-down: AMI is down', '[PBX connector] cleared ami-down: AMI is down']);
  });

  it('a notice that cannot be delivered leaves the alert active and the next ones still go out', async () => {
    const { alerts } = setup({ failing: true });
    alerts.raise(breaker);
    alerts.raise(parked);
    await alerts.idle();
    expect(await alerts.active()).toHaveLength(2);
  });

  it('a store that fails is logged and later changes still go through', async () => {
    const store = memoryStore();
    let broken = true;
    const flaky: AlertStore = { change: (k, fn) => (broken ? Promise.reject(new Error('database is down')) : store.change(k, fn)), list: () => store.list() };
    const { alerts, sent } = setup({ store: flaky });
    alerts.raise(breaker);
    await alerts.idle();
    broken = false;
    alerts.raise(parked);
    await alerts.idle();
    expect(sent.map((s) => s.tag)).toEqual(['crm-parked']);
  });
});
