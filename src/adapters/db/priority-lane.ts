import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

const urgent = new AsyncLocalStorage<boolean>();

/**
 * Runs `work` with its database statements ahead of the queue: a click-to-call between the webhook
 * and the Originate must not wait behind the tracker's, the route writer's and the outbox's writes
 * on SQLite's one connection. Everything `work` awaits inherits the mark (AsyncLocalStorage).
 */
export function urgently<T>(work: () => T): T {
  return urgent.run(true, work);
}

export function isUrgent(): boolean {
  return urgent.getStore() === true;
}

interface Waiter {
  readonly go: () => void;
  readonly timer: NodeJS.Timeout;
  readonly since: number;
}

/**
 * A one-at-a-time gate with two queues: whoever holds the connection hands it to the next urgent
 * waiter before any other — unless the oldest ordinary waiter has waited `maxNormalWaitMs`, so a
 * steady stream of clicks cannot starve the writes behind them (call ends, CRM writes). An overdue
 * ordinary waiter gets every other turn, not every turn: behind a backlog of ordinary writes, each
 * of them overdue, clicks would otherwise wait for the whole backlog (tens of seconds). What holds
 * it is never interrupted: an urgent statement waits for the statement or transaction under way,
 * not for the queue. A wait longer than `timeoutMs` fails (as knex's own pool would), naming the
 * likely cause.
 */
export class PriorityGate {
  private held = false;
  private readonly urgentQueue: Waiter[] = [];
  private readonly normalQueue: Waiter[] = [];
  /** The last turn went to an overdue ordinary waiter: the next goes to an urgent one, if any. */
  private lastWasOverdue = false;

  constructor(private readonly timeoutMs = 60_000, private readonly maxNormalWaitMs = 200, private readonly now: () => number = () => performance.now()) {}

  enter(isUrgentWaiter: boolean): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    const queue = isUrgentWaiter ? this.urgentQueue : this.normalQueue;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        since: this.now(),
        go: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(new Error(`database connection not free after ${this.timeoutMs} ms (a query outside its transaction while the transaction holds the one SQLite connection?)`));
        }, this.timeoutMs),
      };
      // A waiter left behind by a closed database must not keep the process alive.
      waiter.timer.unref();
      queue.push(waiter);
    });
  }

  leave(): void {
    const oldest = this.normalQueue[0];
    const overdue = !this.lastWasOverdue && oldest !== undefined && this.now() - oldest.since >= this.maxNormalWaitMs;
    this.lastWasOverdue = overdue;
    const next = overdue ? this.normalQueue.shift() : (this.urgentQueue.shift() ?? this.normalQueue.shift());
    if (next) next.go();
    else this.held = false;
  }
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/**
 * Puts a PriorityGate in front of a one-connection knex pool (SQLite): knex's own pool queue is
 * first come, first served. Transactions hold the gate from BEGIN to COMMIT, as they hold the
 * connection.
 */
export function prioritizeConnection(db: Knex): PriorityGate {
  const client = db.client as PoolClient;
  const gate = new PriorityGate();
  const acquire = client.acquireConnection.bind(client);
  const release = client.releaseConnection.bind(client);
  client.acquireConnection = async () => {
    await gate.enter(isUrgent());
    try {
      return await acquire();
    } catch (err) {
      gate.leave();
      throw err;
    }
  };
  client.releaseConnection = async (connection: unknown) => {
    try {
      await release(connection);
    } finally {
      gate.leave();
    }
  };
  return gate;
}
