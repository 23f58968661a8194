import { setMaxListeners } from 'node:events';

/**
 * Time for the PBX double. Every wait (ringing, talking, Originate timeout, login-failure delay) is
 * written in real telephony milliseconds and multiplied by `timeScale`, so the demo runs at real
 * speed (1) and tests in microseconds (0). Closing the double cancels every pending wait.
 */
export class CancelledError extends Error {
  constructor() {
    super('the PBX double was closed');
  }
}

export class DoubleClock {
  private closed = false;
  private readonly aborter = new AbortController();
  /** Aborted when the double closes: for waits that are not sleeps (sockets). */
  readonly signal: AbortSignal = this.aborter.signal;
  private readonly pending = new Set<{ timer: NodeJS.Timeout | NodeJS.Immediate; reject: (e: Error) => void }>();

  constructor(
    readonly timeScale: number,
    /** Wall clock for timestamps (Uniqueid, Cdr, Ping): injectable so tests can pin it. */
    readonly now: () => number = () => Date.now(),
  ) {
    if (!(timeScale >= 0)) throw new Error(`timeScale must be a number >= 0, got ${timeScale}`);
    // Every concurrent FastAGI session listens on it: hundreds of calls at once are normal.
    setMaxListeners(0, this.signal);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits `ms` telephony milliseconds (scaled). Rejects with CancelledError once the double closes. */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new CancelledError());
    const scaled = Math.max(0, ms) * this.timeScale;
    return new Promise<void>((resolve, reject) => {
      const entry = {
        timer: undefined as unknown as NodeJS.Timeout | NodeJS.Immediate,
        reject,
      };
      const done = (): void => {
        this.pending.delete(entry);
        resolve();
      };
      entry.timer = scaled < 1 ? setImmediate(done) : setTimeout(done, scaled);
      this.pending.add(entry);
    });
  }

  close(): void {
    this.closed = true;
    this.aborter.abort();
    for (const p of this.pending) {
      clearTimeout(p.timer as NodeJS.Timeout);
      clearImmediate(p.timer as NodeJS.Immediate);
      p.reject(new CancelledError());
    }
    this.pending.clear();
  }
}
