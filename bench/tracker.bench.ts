// Call tracker throughput on AMI events (target >= 20k events/s on one core) and memory over
// 100k simulated calls (closed calls must leave memory). Events are generated at run time and fed
// in process as parsed records (DECISIONS §27): 200 calls in flight, each a click-to-call shape —
// congestion on the first trunk, answered on the second — with the noise a lab user would get
// (Newexten, VarSet) that the tracker must drop early. Write-behind to a real SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { CallsRepository } from '../src/adapters/db/repositories/calls-repository.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { CallTracker } from '../src/app/calls/tracker.ts';

const CALLS = Number(process.env.TRACKER_CALLS ?? 100_000);
const IN_FLIGHT = 200;
const FLUSH_EVERY = 20_000;

type Ev = Record<string, string>;

/** The events of call `n`, in Asterisk's order. */
function callEvents(n: number): Ev[] {
  const linkedid = `c2c-b${n}-a`;
  const t = 1_795_440_000 + n * 0.01;
  const ch = (channel: string, uniqueid: string, context: string, extra: Ev = {}): Ev => ({
    privilege: 'call,all', channel, channelstate: '6', channelstatedesc: 'Up', calleridnum: '100', calleridname: 'Click-to-call',
    connectedlinenum: '<unknown>', connectedlinename: '<unknown>', language: 'en', accountcode: '', context, exten: '79160000001',
    priority: '1', uniqueid, linkedid, timestamp: t.toFixed(6), ...extra,
  });
  const mgr = ['PJSIP/100-1', linkedid, 'connector-outbound'] as const;
  const l1 = [`PJSIP/gw1-${n}`, `${n}.2`, 'from-trunk'] as const;
  const l2 = [`PJSIP/gw2-${n}`, `${n}.3`, 'from-trunk'] as const;
  const at = (dt: number): string => (t + dt).toFixed(6);
  return [
    { event: 'Newchannel', ...ch(...mgr) },
    { event: 'Newexten', ...ch(...mgr), application: 'Set', appdata: 'CONNECTOR_EXTEN=100' },
    { event: 'VarSet', ...ch(...mgr), variable: 'ATTEMPT', value: '1' },
    { event: 'VarSet', ...ch(...mgr), variable: 'MIXMONITOR_FILENAME', value: `/var/spool/asterisk/monitor/${linkedid}.wav` },
    { event: 'Newexten', ...ch(...mgr), application: 'AGI', appdata: 'agi://127.0.0.1/route' },
    { event: 'VarSet', ...ch(...mgr), variable: 'ROUTE_DIAL', value: 'PJSIP/89160000001@gw1' },
    { event: 'Newchannel', ...ch(...l1) },
    { event: 'DialBegin', ...ch(...mgr), destchannel: l1[0], destuniqueid: l1[1], dialstring: '89160000001@gw1' },
    { event: 'Hangup', ...ch(...l1), cause: '34', 'cause-txt': 'Circuit/channel congestion' },
    { event: 'DialEnd', ...ch(...mgr), destchannel: l1[0], destuniqueid: l1[1], dialstatus: 'CONGESTION' },
    { event: 'VarSet', ...ch(...mgr), variable: 'DIALSTATUS', value: 'CONGESTION' },
    { event: 'UserEvent', ...ch(...mgr), userevent: 'ConnectorAttempt', attempt: '1', dialstatus: 'CONGESTION', hangupcause: '34' },
    { event: 'Newexten', ...ch(...mgr), application: 'Dial', appdata: 'PJSIP/89160000001@gw2,60' },
    { event: 'Newchannel', ...ch(...l2) },
    { event: 'DialBegin', ...ch(...mgr), destchannel: l2[0], destuniqueid: l2[1], dialstring: '89160000001@gw2' },
    { event: 'DialEnd', ...ch(...mgr), destchannel: l2[0], destuniqueid: l2[1], dialstatus: 'ANSWER', timestamp: at(5) },
    { event: 'BridgeEnter', ...ch(...l2), bridgeuniqueid: `b${n}`, timestamp: at(5) },
    { event: 'Cdr', privilege: 'cdr,all', uniqueid: l2[1], billableseconds: '42', disposition: 'ANSWERED' },
    { event: 'Hangup', ...ch(...l2), cause: '16', 'cause-txt': 'Normal Clearing', timestamp: at(47) },
    { event: 'VarSet', ...ch(...mgr), variable: 'ANSWEREDTIME', value: '42', timestamp: at(47) },
    { event: 'Hangup', ...ch(...mgr), cause: '16', 'cause-txt': 'Normal Clearing', timestamp: at(47) },
  ];
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-tracker-'));
  const db = openDb({ url: path.join(dir, 'bench.sqlite') });
  await migrateLatest(db);
  let ended = 0;
  const tracker = new CallTracker({
    store: new CallsRepository(db), clock: { now: () => Date.now() }, logger: silentLogger, connectorContext: 'connector-outbound',
    flushIntervalMs: 0, lineOf: () => null, failOpenTrunk: null, failOpenPerMinute: null,
  });
  tracker.on('call-ended', () => {
    ended++;
  });
  await tracker.start();

  // Interleave IN_FLIGHT calls: each step takes the next event of a call in the window.
  const windowCalls: { events: Ev[]; i: number }[] = [];
  let next = 0;
  let events = 0;
  let handleMs = 0;
  let flushMs = 0;
  const heapBefore = heapMb();
  let heapAt10k = 0;
  const t0 = performance.now();
  while (next < CALLS || windowCalls.length > 0) {
    while (windowCalls.length < IN_FLIGHT && next < CALLS) {
      // Announced as the click-to-call's Originate announces it: the tracker follows only such calls.
      tracker.follow(`c2c-b${next}-a`, `c2c-b${next}-a`);
      windowCalls.push({ events: callEvents(next++), i: 0 });
    }
    const batchStart = performance.now();
    let batch = 0;
    for (let w = windowCalls.length - 1; w >= 0 && batch < FLUSH_EVERY; w--) {
      const c = windowCalls[w] as { events: Ev[]; i: number };
      tracker.handle(c.events[c.i++] as Ev);
      batch++;
      if (c.i >= c.events.length) windowCalls.splice(w, 1);
    }
    handleMs += performance.now() - batchStart;
    events += batch;
    if (events % FLUSH_EVERY < batch || windowCalls.length === 0) {
      const f = performance.now();
      await tracker.flush();
      flushMs += performance.now() - f;
      if (heapAt10k === 0 && next >= 10_000) heapAt10k = heapMb();
    }
  }
  await tracker.flush();
  const total = (performance.now() - t0) / 1000;
  const heapAfter = heapMb();
  const rows = await db('calls').count<{ n: number | string }[]>({ n: '*' });
  console.log(`tracker: ${events} events of ${CALLS} calls (${IN_FLIGHT} in flight), ${ended} call records, ${Number(rows[0]?.n ?? 0)} rows stored, ${tracker.openCalls} still open`);
  console.log(`tracker: event handling ${(events / (handleMs / 1000)).toFixed(0)} events/s in memory (target >= 20000); with write-behind to SQLite ${(events / total).toFixed(0)} events/s end to end (${(flushMs / 1000).toFixed(1)} s of ${total.toFixed(1)} s writing)`);
  console.log(`tracker: heap before ${heapBefore.toFixed(1)} MB, after 10k calls ${heapAt10k.toFixed(1)} MB, after ${CALLS} calls ${heapAfter.toFixed(1)} MB (closed calls leave memory)`);
  await tracker.stop();
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
