// Inbound scenario steps: the connector's decision per step, in-process and over FastAGI at a
// paced 50 new inbound calls/s (target: p99 <= 2 ms per step). Shipped rules (rules/inbound.yaml);
// each call walks its scenario as the dialplan would: time step + prompt, the IVR menu (key 1),
// no extension, the weighted-random group member by member, the group rung all at once.
// Baselines of the same run: position parse+format alone (in-process floor), and a FastAGI session
// for an unknown script (environment, one SET VARIABLE, close: the wire's floor).
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFastAgiServer } from '../src/adapters/asterisk/fastagi/server.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { loadRules } from '../src/adapters/rules/load.ts';
import type { RouteService } from '../src/app/calls/route-service.ts';
import { InboundService, type InboundStepAnswer, type InboundStepQuery } from '../src/app/inbound/inbound-service.ts';
import { formatPosition, parsePosition } from '../src/core/scenarios/position.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CALLS_PER_SECOND = 50;
const SECONDS = 10;
// Wednesday noon in Moscow: inside the main line's hours.
const NOON = Date.parse('2026-12-02T12:00:00+03:00');

/** The results the dialplan reports after each action of one call (key 1 in the menu, nobody answers). */
const RESULTS = ['', '', '1', '', 'NOANSWER', 'NOANSWER', 'NOANSWER', 'NOANSWER'];

function pct(samples: Float64Array, p: number): string {
  return (samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? 0).toFixed(3);
}

function inProcess(service: InboundService): void {
  const CALLS = 50_000;
  const samples = new Float64Array(CALLS * RESULTS.length);
  let n = 0;
  let sink = 0;
  for (let c = 0; c < CALLS + 5_000; c++) {
    let state = '';
    for (const result of RESULTS) {
      const q: InboundStepQuery = { did: '84951234500', state, result, caller: '79161234567', uniqueid: `u${c}`, linkedid: `u${c}` };
      const start = process.hrtime.bigint();
      // The bench's scenario needs no CRM lookup: every step is answered synchronously.
      const a = service.step(q) as InboundStepAnswer;
      const us = Number(process.hrtime.bigint() - start) / 1000;
      if (c >= 5_000) samples[n++] = us;
      state = a.state;
      sink += state.length;
      if (state === '') break;
    }
  }
  const s = samples.subarray(0, n).sort();
  const base = new Float64Array(200_000);
  for (let i = 0; i < base.length; i++) {
    const start = process.hrtime.bigint();
    const p = parsePosition(`sales:1:${i % 3}:${i}`);
    if (p !== null && p !== 'invalid') sink += formatPosition(p).length;
    base[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  base.sort();
  console.log(`inbound-step: in-process decision per step (${n.toLocaleString('en-US')} steps): p50 ${pct(s, 0.5)} µs, p99 ${pct(s, 0.99)} µs, p99.9 ${pct(s, 0.999)} µs; baseline position parse+format p50 ${pct(base, 0.5)} µs, p99 ${pct(base, 0.99)} µs`);
  if (sink === 0) console.log('inbound-step: nothing decided (unexpected)');
}

function env(script: string, args: readonly string[], uniqueid: string): string {
  return [
    'agi_network: yes', `agi_network_script: ${script}`, `agi_request: agi://127.0.0.1:4573/${script}`, 'agi_channel: PJSIP/trunk-00000001',
    'agi_language: ru', 'agi_type: PJSIP', `agi_uniqueid: ${uniqueid}`, 'agi_version: 22.10.1', 'agi_callerid: 79161234567', 'agi_calleridname: unknown',
    'agi_context: connector-inbound', 'agi_extension: 84951234500', 'agi_priority: 8', 'agi_enhanced: 0.0', 'agi_threadid: 1',
    ...args.map((a, i) => `agi_arg_${i + 1}: ${a}`), '', '',
  ].join('\n');
}

/** One request as Asterisk makes it; resolves with ms from connect to close and the INBOUND answer. */
function request(port: number, text: string): Promise<{ ms: number; answer: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = '';
    let answer = '';
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^SET VARIABLE \w+ "(.*)"$/.exec(line);
        if (m) answer = m[1] ?? '';
        socket.write('200 result=1\n');
      }
    });
    socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
    socket.on('error', reject);
  });
}

async function overFastAgi(service: InboundService): Promise<void> {
  const server = await startFastAgiServer({ host: '127.0.0.1', port: 0, service: {} as RouteService, inbound: service, logger: silentLogger });
  const steps: number[] = [];
  const floor: number[] = [];
  let calls = 0;
  const callOnce = async (i: number): Promise<void> => {
    let state = '';
    for (const result of RESULTS) {
      const r = await request(server.port, env('inbound', ['84951234500', state, result, `bench-${i}`], `bench-${i}`));
      steps.push(r.ms);
      state = r.answer.split('|')[4] ?? '';
      if (state === '') break;
    }
    const f = await request(server.port, env('nothing', [], `floor-${i}`));
    floor.push(f.ms);
    calls += 1;
  };
  for (let i = 0; i < 200; i++) await callOnce(-i - 1);
  steps.length = 0;
  floor.length = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const running: Promise<void>[] = [];
  const total = CALLS_PER_SECOND * SECONDS;
  for (let i = 0; i < total; i++) {
    const due = wallBefore + (i * 1000) / CALLS_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    running.push(callOnce(i));
  }
  await Promise.all(running);
  const wall = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await server.close();
  const s = Float64Array.from(steps).sort();
  const f = Float64Array.from(floor).sort();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`inbound-step: over FastAGI at ${CALLS_PER_SECOND} new calls/s for ${SECONDS} s: ${steps.length.toLocaleString('en-US')} steps of ${calls - 200} calls, per step p50 ${pct(s, 0.5)} ms, p99 ${pct(s, 0.99)} ms, max ${pct(s, 1)} ms (target p99 <= 2 ms); baseline session for an unknown script p50 ${pct(f, 0.5)} ms, p99 ${pct(f, 0.99)} ms`);
  console.log(`inbound-step: CPU ${cpuMs.toFixed(0)} ms over ${wall.toFixed(1)} s wall (client and server in this one process): ${(cpuMs / (steps.length + floor.length)).toFixed(3)} ms per session; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
}

export async function run(): Promise<void> {
  const loaded = loadRules(path.join(root, 'rules'));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const rules = loaded.compiled;
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const service = new InboundService({ rules: { current: () => rules }, now: () => NOON, random });
  console.log(`inbound-step: shipped rules (${rules.inbound.rules.scenarios.length} scenarios, ${rules.inbound.rules.groups.length} groups); load average before ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  inProcess(service);
  await overFastAgi(service);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
