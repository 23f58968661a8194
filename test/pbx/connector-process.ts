import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Waiter } from './lab-ami.ts';

const START = fileURLToPath(new URL('../../bin/start.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

export type LogLine = Readonly<Record<string, unknown>> & { readonly msg?: string };

/**
 * The connector as a user runs it (`npm start` = bin/start.js), configured only by its environment.
 * Its JSON log lines are kept in order and can be waited for.
 */
export class ConnectorProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly listeners = new Set<(l: LogLine) => void>();
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(private readonly env: Readonly<Record<string, string>>) {}

  /** Starts the process and waits for its "connector started" line (or fails with its stderr). */
  async start(): Promise<void> {
    // A restart waits for its own lines, not the last run's.
    this.lines.length = 0;
    const child = spawn(process.execPath, [START], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    readline.createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try { line = JSON.parse(text) as LogLine; } catch { line = { msg: text }; }
      this.lines.push(line);
      for (const l of this.listeners) l(line);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
    const started = this.waitLog('connector started', (l) => l.msg === 'connector started', 30_000);
    const died = this.exited.then((code) => { throw new Error(`the connector exited (${code}) before it started:\n${this.stderr.join('\n')}`); });
    await Promise.race([started, died]);
  }

  readonly waitLog: Waiter<LogLine> = (what, check, timeoutMs = 15_000) => {
    const seen = this.lines.find(check);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.listeners.delete(l); reject(new Error(`timed out waiting for connector log: ${what}`)); }, timeoutMs);
      const l = (line: LogLine): void => {
        if (!check(line)) return;
        clearTimeout(timer);
        this.listeners.delete(l);
        resolve(line);
      };
      this.listeners.add(l);
    });
  };

  /** SIGTERM, then waits for the exit (SIGKILL if it hangs). */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const force = setTimeout(() => this.child?.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(force);
  }

  /** The running process's id (benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }
}
