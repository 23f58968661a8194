import { describe, expect, it } from 'vitest';
import { isUrgent, PriorityGate, urgently } from '../../../src/adapters/db/priority-lane.ts';

/** A gate on a clock the test sets (ordinary waiters overdue after 200 ms), already held by an ordinary statement. */
async function heldGate() {
  const clock = { at: 0 };
  const gate = new PriorityGate(60_000, 200, () => clock.at);
  await gate.enter(false);
  return { gate, clock, order: [] as string[] };
}

describe('priority gate in front of the one SQLite connection', () => {
  it('hands the connection to an urgent waiter before earlier ordinary ones; never two at a time', async () => {
    const gate = new PriorityGate();
    const order: string[] = [];
    let holders = 0;
    let most = 0;
    const use = async (name: string, urgentWaiter: boolean) => {
      await gate.enter(urgentWaiter);
      holders += 1;
      most = Math.max(most, holders);
      order.push(name);
      await new Promise((r) => setImmediate(r));
      holders -= 1;
      gate.leave();
    };
    await Promise.all([use('first', false), use('tracker', false), use('outbox', false), use('click', true), use('click-2', true)]);
    expect(order).toEqual(['first', 'click', 'click-2', 'tracker', 'outbox']);
    expect(most).toBe(1);
  });

  it('lets an ordinary waiter through once it has waited its bound, however many urgent ones queue', async () => {
    const { gate, clock, order } = await heldGate();
    const waiting = [
      gate.enter(false).then(() => order.push('tracker')),
      gate.enter(true).then(() => order.push('click')),
    ];
    clock.at = 199;
    gate.leave();
    await waiting[1];
    clock.at = 200;
    const later = gate.enter(true).then(() => order.push('click-2'));
    gate.leave();
    await waiting[0];
    gate.leave();
    await later;
    expect(order).toEqual(['click', 'tracker', 'click-2']);
  });

  it('behind a backlog of overdue ordinary waiters, urgent ones still get every other turn', async () => {
    const { gate, clock, order } = await heldGate();
    const turns = [
      ...['w1', 'w2', 'w3', 'w4'].map((name) => gate.enter(false).then(() => order.push(name))),
      ...['c1', 'c2'].map((name) => gate.enter(true).then(() => order.push(name))),
    ];
    // Every ordinary waiter has waited past its bound (a backlog).
    clock.at = 1_000;
    for (let i = 0; i < turns.length; i++) {
      const before = order.length;
      gate.leave();
      while (order.length === before) await Promise.resolve();
    }
    gate.leave();
    await Promise.all(turns);
    expect(order).toEqual(['w1', 'c1', 'w2', 'c2', 'w3', 'w4']);
  });

  it('marks what runs inside urgently(), through awaits, and nothing outside it', async () => {
    expect(isUrgent()).toBe(false);
    const inside = await urgently(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return isUrgent();
    });
    expect(inside).toBe(true);
    expect(isUrgent()).toBe(false);
  });
});
