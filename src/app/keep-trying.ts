import { setTimeout as sleep } from 'node:timers/promises';

export interface KeepTryingOptions {
  /** Aborted at shutdown: no more tries; the result is then null. */
  readonly signal: AbortSignal;
  /** Told about every failed try (`tries` counts them, from 1). */
  readonly onFailure: (err: unknown, tries: number) => void;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, waiting 1 s, 2 s, 4 s … (at most 30 s) after each failure, or
 * until `signal` aborts (then resolves null). For a write whose content is safe elsewhere in the
 * meantime (the intake journal): the row follows as soon as the database is back.
 */
export async function keepTrying<T>(attempt: () => Promise<T>, o: KeepTryingOptions): Promise<T | null> {
  let delay = o.firstDelayMs ?? 1_000;
  for (let tries = 1; !o.signal.aborted; tries++) {
    try {
      return await attempt();
    } catch (err) {
      o.onFailure(err, tries);
    }
    try {
      await sleep(delay, undefined, { signal: o.signal });
    } catch {
      return null;
    }
    delay = Math.min(delay * 2, o.maxDelayMs ?? 30_000);
  }
  return null;
}
