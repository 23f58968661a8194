import type { Logger } from '../../adapters/logging/logger.ts';
import type { CallStore, RouteStepWrite } from './ports.ts';

interface Queued {
  readonly write: RouteStepWrite;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * Writes route steps behind the answer, with group commit: the dialplan gets its answer at once,
 * and every step queued meanwhile is written in one transaction (one disk sync for many requests).
 * A later request of the same call waits for that call's pending write first, so it always reads
 * what the previous request stored. A crash loses at most the batch being written (milliseconds).
 */
/**
 * Writes per transaction at most: a backlog (the database slower than the PBX for a while) is
 * written in bounded transactions, and a bad write costs at most this many writes one by one.
 */
export const MAX_ROUTE_BATCH = 200;

export class RouteWriter {
  private queue: Queued[] = [];
  private running: Promise<void> | null = null;
  private readonly pendingByKey = new Map<string, Promise<void>>();
  /** The newest write's outcome: batches go in order, so once it settles every earlier one has. */
  private newest: Promise<void> = Promise.resolve();

  constructor(private readonly store: Pick<CallStore, 'applyRouteSteps'>, private readonly logger: Logger) {}

  /** Queues a write; `keys` (call id, channel id) let later requests wait for it. */
  enqueue(write: RouteStepWrite, keys: readonly string[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
    });
    // Waiters only need ordering, not the outcome: a failed write is logged where it happens.
    const settled = done.catch(() => undefined);
    this.newest = settled;
    for (const key of keys) {
      this.pendingByKey.set(key, settled);
      void settled.then(() => {
        if (this.pendingByKey.get(key) === settled) this.pendingByKey.delete(key);
      });
    }
    this.running ??= this.run();
    return done;
  }

  /** Resolves once the pending write for this key (if any) is done. */
  settled(key: string): Promise<void> {
    return this.pendingByKey.get(key) ?? Promise.resolve();
  }

  /**
   * Resolves once everything queued so far is written (or refused). Writes queued later are not
   * waited for: under steady routing the queue never empties, and the tracker closing calls waits here.
   */
  drain(): Promise<void> {
    return this.newest;
  }

  /** Steps of calls stored already (their new call was there): the rest of the batch went in. */
  private leftOut(callIds: readonly string[]): void {
    if (callIds.length === 0) return;
    this.logger.warn({ calls: callIds.slice(0, 10), count: callIds.length }, 'route: steps not stored, their calls were recorded already (the PBX stopped waiting for these answers, or a first request came again)');
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_ROUTE_BATCH);
        try {
          this.leftOut(await this.store.applyRouteSteps(batch.map((q) => q.write)));
          for (const q of batch) q.resolve();
        } catch (err) {
          if (batch.length === 1) {
            (batch[0] as Queued).reject(err as Error);
            continue;
          }
          // One bad write must not sink the others: write them one by one.
          for (const q of batch) {
            try {
              this.leftOut(await this.store.applyRouteSteps([q.write]));
              q.resolve();
            } catch (one) {
              this.logger.error({ callId: q.write.callId, err: one }, 'route: storing a route step failed');
              q.reject(one as Error);
            }
          }
        }
      }
    } finally {
      this.running = null;
    }
  }
}
