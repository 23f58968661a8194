// The cost of storing inbound CRM cards between a call's events (so several instances and
// restarts share them): CALLS calls, RATE new calls/s, each walking the shipped-style scenario the
// dialplan would (a group member by member, then the whole group, an answer, the end) through
// DurableInboundCards on a SQLite file with the real outbox. Figures: time from an event to its
// card stored (load, decide, enqueue, save) p50 / p99, process CPU per call, the rows' size.
// Baseline in the same run: the same calls through InboundCrm alone (cards in memory; the same
// outbox writes), so the difference is the card rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateLatest, openDb, type Db } from '../src/adapters/db/connection.ts';
import { InboundCardsRepository } from '../src/adapters/db/repositories/inbound-cards-repository.ts';
import { OutboxRepository } from '../src/adapters/db/repositories/outbox-repository.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { loadRulesFromTexts } from '../src/adapters/rules/load.ts';
import { DurableInboundCards } from '../src/app/inbound/durable-cards.ts';
import { InboundCrm } from '../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../src/app/inbound/inbound-service.ts';

const CALLS = Number(process.env.CALLS ?? 2000);
const RATE = Number(process.env.RATE ?? 50);
const NOON = Date.parse('2026-12-02T09:00:00Z');

const RULES = (() => {
  const r = loadRulesFromTexts('rules', {
    'trunks.yaml': 'trunks:\n  - { id: sip, kind: sip, dial: "PJSIP/{e164}@sip", tariffs: { default: 1 } }\n',
    'departments.yaml': 'departments:\n  - { id: 10, name: Sales, trunks: [sip] }\n',
    'users.yaml': 'users:\n  - { id: 1, extension: 100, departments: [10] }\n  - { id: 2, extension: 101, departments: [10] }\n  - { id: 3, extension: 102, departments: [10] }\n',
    'inbound.yaml': `
phoneDial: PJSIP/{extension}
numbers: [{ number: '+74951234500', scenario: main }]
scenarios:
  - id: main
    steps: [{ play: welcome }, { group: ordered }, { group: all }]
groups:
  - { id: ordered, strategy: order, ringTime: 5, members: [1, 2] }
  - { id: all, ringTime: 5, members: [1, 2, 3] }
`,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.compiled;
})();

function pct(sorted: readonly number[], p: number): string {
  return (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN).toFixed(2);
}

async function fresh(): Promise<{ db: Db; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-cards-'));
  const db = openDb({ url: path.join(dir, 'cards.sqlite') });
  await migrateLatest(db);
  return { db, dir };
}

interface Run {
  readonly eventMs: number[];
  readonly cpuMsPerCall: number;
  readonly rowBytes: number;
}

async function run(durable: boolean): Promise<Run> {
  const { db, dir } = await fresh();
  const rules = { current: () => RULES };
  const crm = new InboundCrm({ outbox: new OutboxRepository(db), rules, now: () => NOON, logger: silentLogger });
  const store = new InboundCardsRepository(db);
  const cards = durable ? new DurableInboundCards({ crm, store, now: () => NOON, logger: silentLogger }) : null;
  const observe = cards ? cards.observe : crm.observe;
  const service = new InboundService({ rules, now: () => NOON, random: () => 0, observe });
  const eventMs: number[] = [];
  let rowBytes = 0;
  /** Applies one event and waits until its card (and writes) are stored. */
  const timed = async (linkedid: string, apply: () => void): Promise<void> => {
    const t = performance.now();
    apply();
    if (cards) await cards.idle(linkedid);
    else await crm.flushed();
    eventMs.push(performance.now() - t);
  };
  const call = async (n: number): Promise<void> => {
    const linkedid = `bench.${n}`;
    let state = '';
    for (const result of ['', '', 'NOANSWER', 'NOANSWER']) {
      const s = state;
      await timed(linkedid, () => { state = service.step({ did: '74951234500', state: s, result, caller: '89161234567', uniqueid: linkedid, linkedid }).state; });
      if (state === '') break;
    }
    if (cards && n % 100 === 0) rowBytes = Math.max(rowBytes, JSON.stringify(await store.load(linkedid)).length);
    await timed(linkedid, () => (cards ?? crm).answered(linkedid, 'PJSIP/102-00000001'));
    await timed(linkedid, () => (cards ?? crm).ended(linkedid, null));
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < CALLS; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(call(i));
  }
  await Promise.all(pending);
  const cpu = process.cpuUsage(cpu0);
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  return { eventMs: eventMs.sort((a, b) => a - b), cpuMsPerCall: (cpu.user + cpu.system) / 1000 / CALLS, rowBytes };
}

const base = await run(false);
const durable = await run(true);
const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`inbound-cards: ${CALLS} calls at ${RATE} new calls/s on SQLite (6 events each: 4 steps, the answer, the end): cards stored between events: event → stored p50 ${pct(durable.eventMs, 0.5)} ms, p99 ${pct(durable.eventMs, 0.99)} ms, ${durable.cpuMsPerCall.toFixed(2)} ms CPU per call, card row ≤ ${durable.rowBytes} bytes; baseline cards in memory (same outbox writes) p50 ${pct(base.eventMs, 0.5)} ms, p99 ${pct(base.eventMs, 0.99)} ms, ${base.cpuMsPerCall.toFixed(2)} ms CPU per call; load average ${load}`);
