import type { Knex } from 'knex';
import type { NewCall } from '../../app/calls/ports.ts';
import type { ClickTransactions, ClickWrites, NewCrmEvent } from '../../app/crm/ports.ts';
import type { Db } from './connection.ts';
import { GroupCommit } from './group-commit.ts';
import { urgently } from './priority-lane.ts';
import { CallsRepository } from './repositories/calls-repository.ts';
import { CrmEventsRepository, type StoredCrmEvent } from './repositories/crm-events-repository.ts';

type Work = (tx: ClickWrites) => Promise<unknown>;

/** Calls made in the same turn of the event loop, answered by one statement. */
class SameTurn<In, Out> {
  private pending: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];

  constructor(private readonly run: (inputs: readonly In[]) => Promise<readonly Out[]>) {}

  submit(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const out = await this.run(batch.map((b) => b.input));
      batch.forEach((b, i) => b.resolve(out[i] as Out));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}

/**
 * A click's event and call in one transaction, the same on SQLite and PostgreSQL. Clicks arriving
 * while a transaction commits share the next one (group commit: one disk sync for the batch); their
 * works run side by side in it, so the batch's events are one insert and its calls another. On
 * SQLite's one connection they go ahead of other writes (`urgently`). If one click's writes fail,
 * the batch rolls back and each runs again in a transaction of its own, so only its asker sees
 * the error.
 */
export function clickTransactions(db: Db, now: () => number = Date.now): ClickTransactions {
  const calls = new CallsRepository(db, now);
  const writesOn = (trx: Knex.Transaction): ClickWrites => {
    const events = new SameTurn<{ event: NewCrmEvent; receivedAt: number }, StoredCrmEvent | null>((inputs) => CrmEventsRepository.insertTaken(trx, inputs));
    const newCalls = new SameTurn<NewCall, boolean>((inputs) => calls.insertIn(trx, inputs));
    return {
      recordEvent: (event, receivedAt) => events.submit({ event, receivedAt }),
      createCall: (call) => newCalls.submit(call),
    };
  };
  // At most 40 clicks a transaction: a call row has 18 columns, and old SQLite builds take 999 values a statement.
  const batches = new GroupCommit<Work, unknown>((works) => urgently(() => db.transaction(async (trx) => {
    const tx = writesOn(trx);
    return Promise.all(works.map((work) => work(tx)));
  })), 40);
  return {
    withTransaction: <T>(work: (tx: ClickWrites) => Promise<T>) => batches.submit(work) as Promise<T>,
  };
}
