import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SHARED_ROOT } from '../support/shared-data.ts';

const run = promisify(execFile);

/** `../shared/asterisk`: a real Asterisk 22 and its lab configuration (phones and trunks are Local channels). */
export const LAB_DIR = path.join(SHARED_ROOT, 'asterisk');
export const hasLab = fs.existsSync(path.join(LAB_DIR, 'start.sh'));
if (!hasLab && process.env.REQUIRE_SHARED_DATA === '1') {
  throw new Error(`REQUIRE_SHARED_DATA=1 but ${LAB_DIR}/start.sh does not exist: the real-Asterisk tier cannot run`);
}
/** Appended to the tier's titles on a clone without ../shared, so the run says why they are skipped. */
export const LAB_SKIP_REASON = `skipped: no real Asterisk at ${LAB_DIR} (the PBX tier needs ../shared/asterisk beside the checkout)`;

export interface LabStart {
  readonly runDir: string;
  readonly amiPort: number;
  /** Dialplan files #included at the end of the lab's extensions.conf, in order. */
  readonly include: readonly string[];
  /** AMI user files #included from manager.conf. */
  readonly manager: readonly string[];
  /** Config files copied over the lab's etc/ (e.g. a modules.conf, an extensions.conf). */
  readonly etcDir?: string;
}

/** One running lab Asterisk. */
export interface LabAsterisk {
  readonly runDir: string;
  readonly amiPort: number;
  /** `asterisk -rx COMMAND`: its output. */
  cli(command: string): Promise<string>;
  /** Stops it as `stop.sh` does (SIGTERM: Asterisk hangs up every channel, then exits). */
  stop(): Promise<void>;
  /**
   * Signals the process and waits until it has exited: SIGTERM stops it as `core stop now` does
   * (every channel hung up first), SIGKILL is a crash or a power cut. (stop.sh waits 5 s for an
   * exited process nobody reaps here.)
   */
  kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again with the same files (start.sh: returns once it is fully booted and AMI answers). */
  start(): Promise<void>;
}

let home: string | undefined;

/** The install folder (install.sh is idempotent and prints it; it builds only when the prebuilt cannot run). */
export async function asteriskHome(): Promise<string> {
  home ??= (await run('bash', [path.join(LAB_DIR, 'install.sh')], { maxBuffer: 1 << 24 })).stdout.trim().split('\n').pop() ?? '';
  return home;
}

export async function startLabAsterisk(o: LabStart): Promise<LabAsterisk> {
  const args = [path.join(LAB_DIR, 'start.sh'), o.runDir, '--ami-port', String(o.amiPort)];
  for (const f of o.include) args.push('--include', f);
  for (const f of o.manager) args.push('--manager', f);
  if (o.etcDir) args.push('--etc', o.etcDir);
  const h = await asteriskHome();
  const start = async (): Promise<void> => { await run('bash', args, { timeout: 60_000 }); };
  await start();
  const env = { ...process.env, LD_LIBRARY_PATH: path.join(h, 'lib') };
  const conf = path.join(o.runDir, 'etc', 'asterisk.conf');
  return {
    runDir: o.runDir,
    amiPort: o.amiPort,
    async cli(command) {
      return (await run(path.join(h, 'sbin', 'asterisk'), ['-C', conf, '-rx', command], { env })).stdout;
    },
    async stop() {
      await run('bash', [path.join(LAB_DIR, 'stop.sh'), o.runDir], { timeout: 30_000 }).catch(() => undefined);
    },
    async kill(signal) {
      const pid = Number(fs.readFileSync(path.join(o.runDir, 'asterisk.pid'), 'utf8').trim());
      process.kill(pid, signal);
      await gone(pid, signal);
    },
    start,
  };
}

/** Resolves once the process has exited (no longer listed, or a zombie nobody reaped yet). */
async function gone(pid: number, signal: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state: string;
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] ?? '';
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs ${timeoutMs} ms after ${signal}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const LAB_SKIP_NOTE = hasLab ? '' : ` (${LAB_SKIP_REASON})`;
