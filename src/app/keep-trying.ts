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
 * Tries `attempt` again after 1 s, then 2 s, 4 s … (at most 30 s apart) until it succeeds, or
 * until `signal` aborts (then resolves null). For a write whose first try failed while what it
 * stands for is safe elsewhere (the intake journal): the row follows once the database is back.
 */
export async function keepTrying<T>(attempt: () => Promise<T>, o: KeepTryingOptions): Promise<T | null> {
  let delay = o.firstDelayMs ?? 1_000;
  for (let tries = 1; ; tries++) {
    try {
      await sleep(delay, undefined, { signal: o.signal });
    } catch {
      return null;
    }
    try {
      return await attempt();
    } catch (err) {
      o.onFailure(err, tries);
    }
    delay = Math.min(delay * 2, o.maxDelayMs ?? 30_000);
  }
}
