// Route requests from the real Asterisk 22 of ../shared/asterisk running the shipped dialplan
// (targets: AGI round trip p99 <= 2 ms at 100 new attempts/s; <= 0.3 ms of connector CPU per route
// request). RATE new desk-phone calls/s of Local channels for SECONDS, each one route request
// (the first trunk is busy: the route stops there). The round trip is what Asterisk sees: the
// `Timestamp`s (timestampevents = yes) of the Newexten events of the AGI priority and of the next
// priority on the caller's channel — the shipped dialplan unchanged. CPU is the connector process's
// user + system time (/proc) divided by the route requests: its AMI reading, call tracking and CRM
// writes (register + finish of every call, to the Bitrix24 double) included.
// Baseline in the same run: the same load with CONNECTOR_AGI pointed at a minimal FastAGI
// responder that answers at once, in a process of its own (Asterisk's own AGI cost on this machine,
// and the least CPU a Node process spends answering a route request); the connector meanwhile only
// follows and records the calls, which gives that part of its CPU apart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PbxTier } from '../test/pbx/harness.ts';
import { hasLab, LAB_SKIP_REASON } from '../test/pbx/lab-asterisk.ts';
import type { LabEvent } from '../test/pbx/lab-ami.ts';

const RATE = Number(process.env.RATE ?? 100);
const SECONDS = Number(process.env.SECONDS ?? 60);
// Settings: RATE, SECONDS, BASELINE_SECONDS, RUNS (median reported); DB_STATEMENTS_DIR with
// CONNECTOR_NODE_OPTIONS="--import ./bench/support/db-statements.mjs" also counts the connector's statements.
const BASELINE_SECONDS = Number(process.env.BASELINE_SECONDS ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User and system CPU seconds of a process so far (fields 14 and 15 of /proc/PID/stat). */
function cpuTimes(pid: number, file = `/proc/${pid}/stat`): { user: number; system: number } {
  const stat = fs.readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / TICK, system: Number(fields[12]) / TICK };
}

/** CPU seconds so far of the main thread and of the others by name (libuv's pool runs SQLite's statements, V8's threads GC and compiling). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = Number(tid) === pid ? 'main' : `other ${fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+$/, '')}`;
      const t = cpuTimes(Number(tid), `/proc/${pid}/task/${tid}/stat`);
      out.set(name, (out.get(name) ?? 0) + t.user + t.system);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** The 1-minute load average (the machine is shared: figures mean little without it). */
function load(): string {
  return os.loadavg()[0]!.toFixed(2);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The baseline responder (bench/support/instant-agi.mjs) in a process of its own, so its CPU can be read. */
async function instantResponder(): Promise<{ readonly child: ChildProcess; readonly port: number }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'support', 'instant-agi.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`the instant responder exited (${String(code)}) before listening`); });
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited])) as [string];
  return { child, port: Number(line) };
}

interface Phase {
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Connector CPU ms per call: with its route request, or in the baseline only following and recording the call. */
  readonly cpuMsPer: number;
  /** The instant responder's CPU ms per route request (in the baseline only). */
  readonly responderCpuMsPer: number | null;
  /** Connector CPU ms per second of the phase. */
  readonly cpuMsPerSec: number;
  /** The share of that CPU spent in the kernel (sockets, file writes). */
  readonly systemShare: number;
  /** CPU ms per route request by thread name. */
  readonly threads: string;
  /** The 1-minute load average at the start and at the end of the phase. */
  readonly load: string;
}

/** Places RATE calls/s for `seconds`, measures the AGI step of each, waits until every channel is gone. */
async function phase(tier: PbxTier, seconds: number, scenario: number, cpuPid: number, responderPid: number | null): Promise<Phase> {
  const routed = responderPid === null;
  const agiAt = new Map<string, number>();
  const rtts: number[] = [];
  const stop = tier.ami.onEvent((e: LabEvent) => {
    if (e.Event !== 'Newexten' || e.Context !== 'connector-outbound') return;
    const id = e.Uniqueid ?? '';
    const started = agiAt.get(id);
    if (started !== undefined) {
      rtts.push((Number(e.Timestamp) - started) * 1000);
      agiAt.delete(id);
    }
    if (e.Application === 'AGI') agiAt.set(id, Number(e.Timestamp));
  });
  const cpu0 = cpuTimes(cpuPid);
  const responder0 = responderPid === null ? 0 : cpuSeconds(responderPid);
  const threads0 = threadCpu(cpuPid);
  const load0 = load();
  const total = Math.round(RATE * seconds);
  const t0 = performance.now();
  let sent = 0;
  const originating: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE) + 1);
    for (; sent < due; sent++) {
      const number = `+7900${String(scenario).padStart(2, '0')}1${String(sent % 10_000).padStart(4, '0')}`;
      originating.push(tier.deskCall(number).catch(() => undefined));
    }
    tier.ami.events.length = 0; // the lab connection keeps every event otherwise
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(originating);
  // Until every call is over (busy trunks hang up after 2 s), so the CPU counted is these calls' whole cost.
  for (;;) {
    const left = await tier.ami.channels();
    tier.ami.events.length = 0;
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const cpu1 = cpuTimes(cpuPid);
  const responderCpu = responderPid === null ? 0 : cpuSeconds(responderPid) - responder0;
  const threads1 = threadCpu(cpuPid);
  const system = cpu1.system - cpu0.system;
  const cpu = cpu1.user - cpu0.user + system;
  const elapsed = (performance.now() - t0) / 1000;
  stop();
  const sorted = [...rtts].sort((a, b) => a - b);
  return {
    requests: rtts.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    cpuMsPer: rtts.length > 0 ? (cpu * 1000) / rtts.length : Number.NaN,
    responderCpuMsPer: !routed && rtts.length > 0 ? (responderCpu * 1000) / rtts.length : null,
    cpuMsPerSec: (cpu * 1000) / elapsed,
    systemShare: cpu > 0 ? system / cpu : 0,
    threads: [...threads1].map(([name, t]) => `${name} ${(((t - (threads0.get(name) ?? 0)) * 1000) / Math.max(1, rtts.length)).toFixed(2)}`).join(', '),
    load: `${load0} → ${load()}`,
  };
}

/**
 * Every call reaches lab trunk t1, which is busy: one route request per call. The lab's 100
 * channels per trunk would be full at this rate (a busy call holds t1 for about 2 s), and the
 * overflow would go to t2…t5 with whatever the number's later digits make them do.
 */
function roomyTrunks(dir: string): void {
  const file = path.join(dir, 'trunks.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const roomy = text.replaceAll('channels: 100', 'channels: 10000');
  if (roomy === text) throw new Error('the lab trunks no longer say "channels: 100": cannot make room for the bench');
  fs.writeFileSync(file, roomy);
}

async function setAgi(tier: PbxTier, url: string): Promise<void> {
  const [res] = await tier.ami.action({ Action: 'Setvar', Variable: 'CONNECTOR_AGI', Value: url });
  if (res?.Response !== 'Success') throw new Error(`Setvar CONNECTOR_AGI: ${JSON.stringify(res)}`);
}

/**
 * With DB_STATEMENTS_DIR set (and bench/support/db-statements.mjs preloaded through
 * CONNECTOR_NODE_OPTIONS): the connector's SQLite statements so far, by shape.
 */
async function statements(pid: number): Promise<Map<string, number> | null> {
  const dir = process.env.DB_STATEMENTS_DIR;
  if (!dir) return null;
  const file = path.join(path.resolve(dir), `statements-${pid}.json`);
  const before = fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 200 && (!fs.existsSync(file) || fs.statSync(file).mtimeMs === before); i++) await new Promise((r) => setTimeout(r, 10));
  return new Map(Object.entries(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>));
}

/** Statements per route request between two snapshots, most frequent first. */
function statementReport(a: Map<string, number>, b: Map<string, number>, requests: number): string {
  const diff = [...b].map(([k, n]) => [k, n - (a.get(k) ?? 0)] as const).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]);
  const total = diff.reduce((s, [, n]) => s + n, 0);
  const commits = diff.filter(([k]) => /^(commit|release)/i.test(k)).reduce((s, [, n]) => s + n, 0);
  const lines = diff.slice(0, 25).map(([k, n]) => `    ${(n / requests).toFixed(3)}  ${k}`);
  return `asterisk-route: connector SQLite statements per route request ${(total / requests).toFixed(2)} (${total} over ${requests}), commits ${(commits / requests).toFixed(3)}:\n${lines.join('\n')}`;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function run(): Promise<void> {
  if (!hasLab) {
    console.log(`asterisk-route: ${LAB_SKIP_REASON}`);
    return;
  }
  // The connector's own defaults for its log level, write-behind and outbox polling (the test tier
  // logs at debug and shortens the others).
  // CONNECTOR_NODE_OPTIONS reaches the connector's node, e.g. `--import ./bench/support/cpu-profile.mjs`
  // (node refuses --cpu-prof in NODE_OPTIONS), which writes its profile to CPU_PROFILE_DIR.
  const profiling = {
    ...(process.env.CONNECTOR_NODE_OPTIONS ? { NODE_OPTIONS: process.env.CONNECTOR_NODE_OPTIONS } : {}),
    ...(process.env.CPU_PROFILE_DIR ? { CPU_PROFILE_DIR: path.resolve(process.env.CPU_PROFILE_DIR) } : {}),
    ...(process.env.DB_STATEMENTS_DIR ? { DB_STATEMENTS_DIR: path.resolve(process.env.DB_STATEMENTS_DIR) } : {}),
  };
  const tier = await PbxTier.start({ rules: roomyTrunks, env: { LOG_LEVEL: 'info', TRACKER_FLUSH_MS: '200', OUTBOX_POLL_MS: '1000', ...profiling } });
  let responder: Awaited<ReturnType<typeof instantResponder>> | undefined;
  try {
    responder = await instantResponder();
    const responderPid = responder.child.pid;
    if (responderPid === undefined) throw new Error('the instant responder has no pid');
    const pid = tier.connector.pid;
    if (pid === undefined) throw new Error('the connector process has no pid');
    const connectorAgi = (await tier.ami.action({ Action: 'Getvar', Variable: 'CONNECTOR_AGI' }))[0]?.Value ?? '';
    const baselineAgi = `agi://127.0.0.1:${responder.port}/route`;
    const fmt = (p: Phase): string => `p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms, max ${p.max.toFixed(1)} ms over ${p.requests} route requests`;
    // Idle after its start has settled (the first seconds after a start cost ~100 ms CPU/s, a
    // settled idle process ~15): timers, outbox polling, lease renewals.
    await new Promise((r) => setTimeout(r, 7000));
    const idle0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 5000));
    const idleMsPerSec = (cpuSeconds(pid) - idle0) * 1000 / 5;
    console.log(`asterisk-route: connector idle ${idleMsPerSec.toFixed(0)} ms CPU/s, load average ${load()}`);
    const results: { base: Phase; conn: Phase }[] = [];
    for (let i = 0; i < RUNS; i++) {
      await setAgi(tier, baselineAgi);
      const base = await phase(tier, BASELINE_SECONDS, 90 + i, pid, responderPid);
      await setAgi(tier, connectorAgi);
      const s0 = await statements(pid);
      const conn = await phase(tier, SECONDS, 93 + i, pid, null);
      // The last calls' tracking and CRM writes are behind their hang-up by a flush or two.
      if (s0) await new Promise((r) => setTimeout(r, 3000));
      const s1 = await statements(pid);
      results.push({ base, conn });
      if (s0 && s1) console.log(statementReport(s0, s1, conn.requests));
      console.log(`asterisk-route run ${i + 1}: connector ${fmt(conn)}, ${conn.cpuMsPer.toFixed(3)} ms CPU each (${conn.cpuMsPerSec.toFixed(0)} ms/s, ${(conn.systemShare * 100).toFixed(0)} % of it system; ms per request by thread: ${conn.threads}), load average ${conn.load} | baseline (instant responder) ${fmt(base)}, ${base.responderCpuMsPer?.toFixed(3)} ms of the responder's CPU each; connector meanwhile ${base.cpuMsPer.toFixed(3)} ms CPU per call (${base.cpuMsPerSec.toFixed(0)} ms/s: it still follows these calls, from the dialplan's ConnectorAttempt events, and writes them to the CRM)`);
    }
    const m = (f: (r: { base: Phase; conn: Phase }) => number): string => median(results.map(f)).toFixed(3);
    console.log(`asterisk-route: ${RATE} new calls/s for ${SECONDS} s, median of ${RUNS} runs: AGI round trip as Asterisk sees it p50 ${m((r) => r.conn.p50)} ms, p99 ${m((r) => r.conn.p99)} ms (target <= 2 ms); baseline responder p50 ${m((r) => r.base.p50)} ms, p99 ${m((r) => r.base.p99)} ms`);
    console.log(`asterisk-route: connector CPU per route request ${m((r) => r.conn.cpuMsPer)} ms (target <= 0.3 ms; AMI reading, call tracking and the CRM writes of each call included); less its idle CPU ${m((r) => r.conn.cpuMsPer - idleMsPerSec / RATE)} ms; of which following and recording a call without a route request (the baseline) ${m((r) => r.base.cpuMsPer)} ms; an instant responder's CPU per route request (the least a FastAGI answer from a Node process costs on this machine) ${m((r) => r.base.responderCpuMsPer ?? Number.NaN)} ms`);
  } finally {
    responder?.child.kill();
    await tier.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
