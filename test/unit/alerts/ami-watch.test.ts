import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { Alerts, type AlertStore } from '../../../src/app/alerts/alerts.ts';
import { watchAmi, type Timers } from '../../../src/app/alerts/ami-watch.ts';
import type { StoredAlert } from '../../../src/core/alerts/alerts.ts';

const GRACE = 30_000;

/** Time that moves only when the test says: timers fire when `advance` passes them. */
function manualTime() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set(fn, ms) {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clear(h) {
      due.delete(h as number);
    },
  };
  return {
    timers,
    now: () => now,
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue;
        due.delete(id);
        t.fn();
      }
    },
  };
}

function setup() {
  const time = manualTime();
  const rows = new Map<string, StoredAlert>();
  const store: AlertStore = {
    async change(key, fn) {
      const after = fn(rows.get(key) ?? null);
      if (after) rows.set(key, after);
      else rows.delete(key);
      return after;
    },
    list: async () => [...rows.values()],
  };
  const sent: string[] = [];
  const alerts = new Alerts({ store, clock: { now: time.now }, repeatMs: 15 * 60_000, logger: silentLogger, notifier: { async send(text) { sent.push(text); } } });
  const ami = new EventEmitter();
  const watch = watchAmi(alerts, ami, { graceMs: GRACE, timers: time.timers });
  return { time, alerts, ami, watch, sent };
}

describe('AMI down only after the grace period', () => {
  it('a blip (back within the grace) raises nothing and tells no one', async () => {
    const { time, alerts, ami, sent } = setup();
    ami.emit('disconnected', 'socket closed');
    time.advance(5_000);
    ami.emit('disconnected', 'ECONNREFUSED');
    time.advance(20_000);
    ami.emit('connected');
    time.advance(10 * GRACE);
    await alerts.idle();
    expect(sent).toEqual([]);
    expect(await alerts.active()).toEqual([]);
  });

  it('a long outage raises once however many reconnects fail, then clears when AMI is back', async () => {
    const { time, alerts, ami, sent } = setup();
    ami.emit('disconnected', 'socket closed');
    for (let i = 0; i < 5; i++) {
      time.advance(10_000);
      ami.emit('disconnected', 'ECONNREFUSED');
    }
    await alerts.idle();
    expect(sent).toEqual(['[PBX connector] ALERT ami-down: AMI is down for more than 30 s (socket closed): no click-to-call, no call tracking']);
    expect(await alerts.active()).toEqual([expect.objectContaining({ kind: 'ami-down', since: GRACE, count: 1 })]);
    ami.emit('connected');
    await alerts.idle();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/^\[PBX connector\] cleared ami-down: AMI is down/);
    expect(await alerts.active()).toEqual([]);
  });

  it('a connector that cannot log in at start raises after the grace too; stopping cancels what is pending', async () => {
    const { time, alerts, watch, sent } = setup();
    watch.startFailed(new Error('connect ECONNREFUSED 127.0.0.1:5038'));
    time.advance(GRACE);
    await alerts.idle();
    expect(sent).toEqual([expect.stringContaining('(connect ECONNREFUSED 127.0.0.1:5038)')]);

    const other = setup();
    other.watch.startFailed(new Error('down'));
    other.watch.stop();
    other.time.advance(10 * GRACE);
    await other.alerts.idle();
    expect(other.sent).toEqual([]);
  });
});
