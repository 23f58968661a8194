// Cold-process wall and CPU time of the CLI and of `npm start`, beside `node -e 1` measured in the
// same run: `carriers lookup` and `route explain` on a database holding the real current DEF plan
// (from ../shared/data/numbering-plan), then with 8 M ported numbers on top (generated at run
// time), and `npm start` (demo mode) until /readyz answers 200. Median of 3 runs each. Runs the
// bundles in dist/ (built first, as npm ci builds them) through bin/, exactly as a user's
// `npx b24pbx` and `npm start` do; the first run of a command after a build, which also writes
// its V8 code cache, is reported on its own. The load average is printed at the start and the
// end: on a shared machine wall time waits for a CPU, CPU time is the steadier figure.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLAN = path.join(process.env.SHARED_DATA ?? path.resolve(ROOT, '../shared/data'), 'numbering-plan/DEF-9xx.csv');
const PORTED_ROWS = Number(process.env.PORTED_BENCH_ROWS ?? 8_000_000);
const RUNS = 3;
const CLI = path.join(ROOT, 'bin/b24pbx.js');
const TARGET_S = 0.35;
const CLOCK_TICKS = 100;

/** GNU time gives the child's CPU seconds too. */
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (s: number): string => `${s.toFixed(3)} s`;
const load = (): string => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (${os.cpus().length} CPUs)`;

interface Timing { readonly wall: number; readonly cpu: number | null }

/** Wall time (and CPU time) of one cold process, in seconds; a failure stops the bench with its stderr. */
function timeProcess(args: readonly string[], env: Record<string, string>): Timing {
  const t = performance.now();
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', 'cpu %U %S', process.execPath, ...args]] : [process.execPath, [...args]];
  const r = spawnSync(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : null };
}

function describe(ts: readonly Timing[], base?: readonly Timing[]): string {
  const wall = median(ts.map((x) => x.wall));
  const cpus = ts.map((x) => x.cpu).filter((x): x is number => x !== null);
  const cpu = cpus.length === ts.length ? median(cpus) : null;
  const baseWall = base ? median(base.map((x) => x.wall)) : null;
  return `wall ${fmt(wall)}${baseWall === null ? '' : ` (baseline + ${fmt(wall - baseWall)})`}${cpu === null ? '' : `, CPU ${fmt(cpu)}`}`;
}

/** The commands on one database, interleaved with the baseline so load swings hit all alike. */
function measureCli(label: string, db: string): void {
  const env = { DATABASE_URL: db, RULES_DIR: path.join(ROOT, 'rules') };
  const cases: [string, string[]][] = [
    ['node -e 1 (baseline)', ['-e', '1']],
    ['b24pbx carriers lookup +79261234567', [CLI, 'carriers', 'lookup', '+79261234567']],
    ['b24pbx route explain --user 1 --number +79261234567', [CLI, 'route', 'explain', '--user', '1', '--number', '+79261234567']],
  ];
  // The first run of each command after the build compiles the bundle and writes its code cache.
  fs.rmSync(path.join(ROOT, 'dist/cli/.cache'), { recursive: true, force: true });
  const first = cases.map(([, args]) => timeProcess(args, env));
  const times = cases.map(() => [] as Timing[]);
  for (let i = 0; i < RUNS; i++) cases.forEach(([, args], k) => times[k]!.push(timeProcess(args, env)));
  console.log(`cli-coldstart: ${label} (median of ${RUNS} cold processes; target ≤ ${TARGET_S} s; ${load()})`);
  cases.forEach(([name], k) => console.log(`  ${name.padEnd(52)} ${describe(times[k]!, k === 0 ? undefined : times[0])}`
    + (k === 0 ? '' : `; first run after the build ${describe([first[k]!])}`)));
}

/** CPU seconds used so far by every process of a process group (npm, its shell, the service). */
function groupCpu(pgid: number): number {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the command name: state ppid pgrp … utime (14th) stime (15th) of the whole line.
      const rest = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      if (Number(rest[2]) === pgid) ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / CLOCK_TICKS;
}

/** `npm start` in demo mode: wall and CPU seconds from spawn until /readyz answers 200; then a clean stop. */
async function timeStartToReady(db: string): Promise<Timing> {
  const port = await freePort();
  const t = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: db, PORT: String(port), AGI_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let ready: Timing | null = null;
  // The measurement itself: ask until the answer is 200 (the server answers 503 while it starts).
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode} before it was ready`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) ready = { wall: (performance.now() - t) / 1000, cpu: fs.existsSync('/proc/self/stat') ? groupCpu(child.pid!) : null };
    else await new Promise((r) => setTimeout(r, 5));
  }
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  return ready;
}

async function run(): Promise<void> {
  console.log(`cli-coldstart: ${load()}`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-coldstart-bench-'));
  try {
    const starts: Timing[] = [];
    const demoDb = path.join(dir, 'demo.sqlite');
    for (let i = 0; i <= RUNS; i++) starts.push(await timeStartToReady(demoDb));
    const base = Array.from({ length: RUNS }, () => timeProcess(['-e', '1'], {}));
    console.log(`cli-coldstart: npm start (demo) to a ready /readyz (target ≤ 2 s; ${load()}):`);
    console.log(`  first start after the build, on an empty data folder   ${describe([starts[0]!])}`);
    console.log(`  again on that data folder, median of ${RUNS}               ${describe(starts.slice(1))}`);
    console.log(`  node -e 1 (baseline)                                  ${describe(base)}`);

    if (!fs.existsSync(PLAN)) {
      console.log(`cli-coldstart: CLI figures skipped: ${PLAN} is not present (real data lives outside the repository; SHARED_DATA=<dir> points elsewhere)`);
      return;
    }
    const planDb = path.join(dir, 'plan.sqlite');
    execFileSync(process.execPath, [CLI, 'carriers', 'import', PLAN], { cwd: ROOT, env: { ...process.env, DATABASE_URL: planDb }, stdio: 'ignore' });
    measureCli(`the real DEF plan (${path.basename(PLAN)})`, planDb);

    const portedDb = path.join(dir, 'ported.sqlite');
    fs.copyFileSync(planDb, portedDb);
    const file = path.join(dir, 'Port_All_202601010000_1.csv');
    execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/ported.bench.ts'), '--generate', file, String(PORTED_ROWS)], { stdio: 'inherit' });
    execFileSync(process.execPath, [CLI, 'carriers', 'import-ported', file], { cwd: ROOT, env: { ...process.env, DATABASE_URL: portedDb }, stdio: 'ignore' });
    fs.rmSync(file);
    measureCli(`the real DEF plan and ${PORTED_ROWS.toLocaleString('en-US')} ported numbers`, portedDb);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`cli-coldstart: done; ${load()}`);
}

await run();
