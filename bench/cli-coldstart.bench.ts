// Cold-process wall time of the CLI and of `npm start`, beside `node -e 1` measured in the same run:
// `carriers lookup` and `route explain` on a database holding the real current DEF plan (from
// ../shared/data/numbering-plan), then with 8 M ported numbers on top (generated at run time), and
// `npm start` (demo mode) until /readyz answers 200. Median of 3 runs each. Runs the compiled
// bin/ (builds dist/ first), exactly as a user's `npx b24pbx` does.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLAN = path.join(process.env.SHARED_DATA ?? path.resolve(ROOT, '../shared/data'), 'numbering-plan/DEF-9xx.csv');
const PORTED_ROWS = Number(process.env.PORTED_BENCH_ROWS ?? 8_000_000);
const RUNS = 3;
const CLI = path.join(ROOT, 'bin/b24pbx.js');
const TARGET_S = 0.35;

/** GNU time gives the child's CPU seconds too: on a shared, loaded machine the steadier figure. */
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (s: number): string => `${s.toFixed(3)} s`;

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
  return `${fmt(wall)}${baseWall === null ? '' : ` (baseline + ${fmt(wall - baseWall)})`}${cpu === null ? '' : `, CPU ${fmt(cpu)}`}`;
}

/** The commands of one database, interleaved with the baseline so load swings hit all alike. */
function measureCli(label: string, db: string): void {
  const env = { DATABASE_URL: db, RULES_DIR: path.join(ROOT, 'rules') };
  const cases: [string, string[]][] = [
    ['node -e 1 (baseline)', ['-e', '1']],
    ['b24pbx carriers lookup +79261234567', [CLI, 'carriers', 'lookup', '+79261234567']],
    ['b24pbx route explain --user 1 --number +79261234567', [CLI, 'route', 'explain', '--user', '1', '--number', '+79261234567']],
  ];
  const times = cases.map(() => [] as Timing[]);
  for (let i = 0; i < RUNS; i++) cases.forEach(([, args], k) => times[k]!.push(timeProcess(args, env)));
  console.log(`cli-coldstart: ${label} (median of ${RUNS} cold processes, wall time; target ≤ ${TARGET_S} s)`);
  cases.forEach(([name], k) => console.log(`  ${name.padEnd(52)} ${describe(times[k]!, k === 0 ? undefined : times[0])}`));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `npm start` in demo mode: seconds from spawn until /readyz answers 200; then a clean stop. */
async function timeStartToReady(db: string): Promise<number> {
  const port = await freePort();
  const t = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/start.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: db, PORT: String(port), AGI_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let ready = 0;
  // The measurement itself: ask until the answer is 200 (the server answers 503 while it starts).
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode} before it was ready`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) ready = (performance.now() - t) / 1000;
    else await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGTERM');
  await exited;
  return ready;
}

async function run(): Promise<void> {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-coldstart-bench-'));
  try {
    const starts: number[] = [];
    const demoDb = path.join(dir, 'demo.sqlite');
    for (let i = 0; i < RUNS; i++) starts.push(await timeStartToReady(demoDb));
    const base = Array.from({ length: RUNS }, () => timeProcess(['-e', '1'], {}));
    console.log(`cli-coldstart: npm start (demo) to a ready /readyz: first start on an empty data folder ${fmt(starts[0]!)}, `
      + `median of ${RUNS} ${fmt(median(starts))} (target ≤ 2 s; node -e 1: ${describe(base)})`);

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
}

await run();
