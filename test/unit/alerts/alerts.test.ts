import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { Alerts } from '../../../src/app/alerts/alerts.ts';
import { clear, countByKind, expire, NO_ALERTS, noticeText, raise } from '../../../src/core/alerts/alerts.ts';

const MIN = 60_000;
const REPEAT = 15 * MIN;
const breaker = { kind: 'trunk-breaker', subject: 'gsm-1', message: 'trunk gsm-1: breaker open' } as const;
const parked = { kind: 'crm-parked', subject: '', message: 'a write was parked' } as const;

describe('alert model', () => {
  it('tells once per repeat interval however often the alert is raised, then once when it clears', () => {
    let step = raise(NO_ALERTS, breaker, 0, REPEAT);
    expect(step.notice?.type).toBe('raised');
    step = raise(step.state, breaker, 5 * MIN, REPEAT);
    expect(step.notice).toBeNull();
    step = raise(step.state, breaker, 15 * MIN, REPEAT);
    expect(step.notice?.type).toBe('raised');
    expect(step.state.get('trunk-breaker:gsm-1')).toMatchObject({ since: 0, lastAt: 15 * MIN, count: 3, notifiedAt: 15 * MIN });
    expect(noticeText(step.notice!)).toBe('[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open (3 times since the first)');
    const cleared = clear(step.state, 'trunk-breaker:gsm-1', 20 * MIN);
    expect(cleared.state.size).toBe(0);
    expect(cleared.notice && noticeText(cleared.notice)).toBe('[PBX connector] cleared trunk-breaker: trunk gsm-1: breaker open');
  });

  it('clearing what is not raised changes nothing and tells no one', () => {
    expect(clear(NO_ALERTS, 'ami-down', 0)).toEqual({ state: NO_ALERTS, notice: null });
  });

  it('keeps alerts apart by kind and subject', () => {
    let s = raise(NO_ALERTS, breaker, 0, REPEAT).state;
    const other = raise(s, { ...breaker, subject: 'gsm-2' }, 0, REPEAT);
    expect(other.notice?.type).toBe('raised');
    s = raise(other.state, { kind: 'sim-credit', subject: 'gsm-1', message: 'no credit' }, 0, REPEAT).state;
    expect(countByKind(s)).toEqual({ 'sim-credit': 1, 'trunk-breaker': 2, 'crm-parked': 0, 'ami-down': 0, 'import-refused': 0 });
  });

  it('drops an event one repeat interval after its last occurrence; a condition stays until cleared', () => {
    let s = raise(NO_ALERTS, parked, 0, REPEAT).state;
    s = raise(s, breaker, 0, REPEAT).state;
    s = raise(s, parked, 10 * MIN, REPEAT).state;
    expect(expire(s, 24 * MIN, REPEAT).size).toBe(2);
    expect([...expire(s, 25 * MIN, REPEAT).keys()]).toEqual(['trunk-breaker:gsm-1']);
    expect(expire(s, 24 * 60 * MIN, REPEAT).has('trunk-breaker:gsm-1')).toBe(true);
  });
});

describe('alerts use case', () => {
  function setup(o: { leader?: boolean; failing?: boolean } = {}) {
    let now = 0;
    const sent: { text: string; tag: string }[] = [];
    const alerts = new Alerts({
      clock: { now: () => now }, repeatMs: REPEAT, logger: silentLogger,
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
    expect(alerts.active().map((a) => a.key)).toEqual(['trunk-breaker:gsm-1', 'crm-parked']);
    alerts.clear('trunk-breaker', 'gsm-1');
    await alerts.idle();
    expect(sent.map((s) => s.text)).toEqual([
      '[PBX connector] ALERT trunk-breaker: trunk gsm-1: breaker open',
      '[PBX connector] ALERT crm-parked: a write was parked',
      '[PBX connector] cleared trunk-breaker: trunk gsm-1: breaker open',
    ]);
    expect(sent[0]!.tag).toBe('trunk-breaker:gsm-1');
  });

  it('an instance that is not the leader shows what every instance sees but leaves telling to the leader; its own events it tells', async () => {
    const { alerts, sent } = setup({ leader: false });
    alerts.raise(breaker);
    alerts.raise({ kind: 'ami-down', subject: '', message: 'AMI is down' });
    alerts.raise(parked);
    await alerts.idle();
    expect(sent.map((s) => s.tag)).toEqual(['crm-parked']);
    expect(alerts.counts()).toMatchObject({ 'trunk-breaker': 1, 'ami-down': 1, 'crm-parked': 1 });
  });

  it('a notice that cannot be delivered leaves the alert active and the next ones still go out', async () => {
    const { alerts } = setup({ failing: true });
    alerts.raise(breaker);
    alerts.raise(parked);
    await alerts.idle();
    expect(alerts.active()).toHaveLength(2);
  });
});
