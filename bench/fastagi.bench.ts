// FastAGI route answer latency at a paced 500 route requests/s on loopback (target p99 <= 2 ms):
// a client plays Asterisk's side (environment block, replies to GET/SET VARIABLE) over a new
// socket per request, measured from connect to the server closing the socket. Desk-phone calls
// with the shipped rules: attempt 1 (plan computed and stored), then attempt 2 after CONGESTION 34
// (outcome stored, rotation). Real SQLite database in a temp file.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startFastAgiServer } from '../src/adapters/asterisk/fastagi/server.ts';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { CallsRepository } from '../src/adapters/db/repositories/calls-repository.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { RulesStore } from '../src/adapters/rules/store.ts';
import { RouteService } from '../src/app/calls/route-service.ts';
import { UNKNOWN_CARRIER } from '../src/core/numbering/carrier.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RATE = Number(process.env.AGI_RATE ?? 500);
const SECONDS = 10;
const WARMUP = 500;

// The shipped dialplan passes linkedid, CONNECTOR_EXTEN and CONNECTOR_CALL_ID as agi_arg_5..7 and
// asks for the one-variable answer (agi_arg_8 ROUTE); AGI_FORM=lab sends the lab's four arguments (the server then asks for them by GET VARIABLE).
const LAB_FORM = process.env.AGI_FORM === 'lab';

function environment(uniqueid: string, number: string, attempt: number, status: string, cause: number, linkedid: string): string {
  return [
    'agi_network: yes', 'agi_network_script: route', 'agi_request: agi://127.0.0.1:4573/route', 'agi_channel: PJSIP/100-00000001',
    'agi_language: en', 'agi_type: PJSIP', `agi_uniqueid: ${uniqueid}`, 'agi_version: 22.10.1', 'agi_callerid: 100', 'agi_calleridname: unknown',
    'agi_callingpres: 0', 'agi_callingani2: 0', 'agi_callington: 0', 'agi_callingtns: 0', 'agi_dnid: unknown', 'agi_rdnis: unknown',
    'agi_context: connector-outbound', `agi_extension: ${number}`, 'agi_priority: 4', 'agi_enhanced: 0.0', 'agi_accountcode: ',
    'agi_threadid: 1', `agi_arg_1: ${number}`, `agi_arg_2: ${attempt}`, `agi_arg_3: ${status}`, `agi_arg_4: ${cause}`,
    ...(LAB_FORM ? [] : [`agi_arg_5: ${linkedid}`, 'agi_arg_6: 100', 'agi_arg_7: ', 'agi_arg_8: ROUTE']), '', '',
  ].join('\n');
}

/** One route request as Asterisk makes it; resolves with ms from connect to the server's close. */
function request(port: number, env: string, linkedid: string): Promise<{ ms: number; dial: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = '';
    let dial = '';
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(env));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('GET FULL VARIABLE')) socket.write(`200 result=1 (${linkedid})\n`);
        else if (line === 'GET VARIABLE CONNECTOR_EXTEN') socket.write('200 result=1 (100)\n');
        else if (line.startsWith('GET VARIABLE')) socket.write('200 result=0\n');
        else {
          // The shipped form answers one ROUTE = ACTION|DIAL|…; the lab form sets ROUTE_DIAL on its own.
          const m = /^SET VARIABLE ROUTE(_DIAL)? "(.*)"$/.exec(line);
          if (m) dial = (m[1] ? m[2] : m[2]?.split('|')[1]) ?? '';
          socket.write('200 result=1\n');
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ ms: performance.now() - started, dial }));
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The paced client: runs in a child process, as Asterisk is a separate process from the connector. */
async function client(port: number): Promise<{ latencies: number[]; dials: number; errors: number; elapsed: number; total: number }> {
  const total = RATE * SECONDS + WARMUP;
  const latencies: number[] = [];
  let errors = 0;
  let dials = 0;
  const inflight: Promise<void>[] = [];
  // Attempt 2 of a call follows its attempt 1 (in Asterisk it comes after the Dial of attempt 1).
  const firstOf = new Map<number, Promise<unknown>>();
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    // Pace: request i starts at i / RATE seconds.
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const call = Math.floor(i / 2);
    const second = i % 2 === 1;
    const uniqueid = `1795440000.${call}`;
    const number = `7916${String(1_000_000 + call).padStart(7, '0')}`;
    const env = second ? environment(uniqueid, number, 2, 'CONGESTION', 34, `L${call}`) : environment(uniqueid, number, 1, '', 0, `L${call}`);
    const sent = second ? (firstOf.get(call) ?? Promise.resolve()).then(() => request(port, env, `L${call}`)) : request(port, env, `L${call}`);
    if (!second) firstOf.set(call, sent.catch(() => undefined));
    else firstOf.delete(call);
    inflight.push(sent.then((r) => {
      if (i >= WARMUP) latencies.push(r.ms);
      if (r.dial) dials++;
      if (second) process.send?.({ ended: `desk-${uniqueid}` });
    }, () => {
      errors++;
    }));
  }
  await Promise.all(inflight);
  return { latencies, dials, errors, elapsed: (performance.now() - t0) / 1000, total };
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-agi-'));
  const db = openDb({ url: path.join(dir, 'bench.sqlite') });
  await migrateLatest(db);
  const rules = RulesStore.open(path.join(root, 'rules'));
  const service = new RouteService({
    store: new CallsRepository(db),
    routing: { rules, carriers: { current: () => ({ lookup: () => UNKNOWN_CARRIER }) } },
    clock: { now: () => Date.now() },
    logger: silentLogger,
  });
  const serverSide: number[] = [];
  const server = await startFastAgiServer({ host: '127.0.0.1', port: 0, service, logger: silentLogger, onSessionEnd: (ms) => serverSide.push(ms) });

  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const child = fork(fileURLToPath(import.meta.url), ['--client', String(server.port)], { execArgv: ['--import', 'tsx'] });
  const result = await new Promise<Awaited<ReturnType<typeof client>>>((resolve, reject) => {
    child.on('message', (m: { ended?: string; result?: Awaited<ReturnType<typeof client>> }) => {
      // The call ended (the tracker would say so): its trunk channel is free.
      if (m.ended) service.callEnded(m.ended);
      if (m.result) resolve(m.result);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`the bench client exited with ${code}`));
    });
  });
  await service.drain();
  const stored = await db('call_attempts').count<{ n: number | string }[]>({ n: '*' });
  const { latencies, dials, errors, elapsed, total } = result;
  latencies.sort((a, b) => a - b);
  console.log(`fastagi (${LAB_FORM ? 'lab dialplan, 4 arguments' : 'shipped dialplan, 8 arguments, one ROUTE variable'}; commands one at a time): ${total} route requests in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s paced at ${RATE}/s), ${dials} dial answers, ${errors} errors, ${Number(stored[0]?.n ?? 0)} attempts stored`);
  console.log(`fastagi: latency connect→close  p50 ${pct(latencies, 50).toFixed(2)} ms  p90 ${pct(latencies, 90).toFixed(2)} ms  p99 ${pct(latencies, 99).toFixed(2)} ms  max ${pct(latencies, 100).toFixed(2)} ms  (target p99 <= 2 ms)`);
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const server99 = serverSide.slice(WARMUP).sort((a, b) => a - b);
  console.log(`fastagi: server side accept→close  p50 ${pct(server99, 50).toFixed(2)} ms  p99 ${pct(server99, 99).toFixed(2)} ms  (the client's own scheduling excluded)`);
  const load = os.loadavg()[0] ?? 0;
  console.log(`fastagi: server process CPU ${(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100).toFixed(0)}% of one core; its event-loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(2)} ms p99 ${(loopDelay.percentile(99) / 1e6).toFixed(2)} ms; machine load average ${load.toFixed(2)} on ${os.cpus().length} cores`);
  await server.close();
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--client') {
  const result = await client(Number(process.argv[3]));
  process.send?.({ result }, () => process.exit(0));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
