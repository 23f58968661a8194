import type { Knex } from 'knex';
import type { ClickTransactions, ClickWrites } from '../../app/crm/ports.ts';
import type { Db } from './connection.ts';
import { GroupCommit } from './group-commit.ts';
import { urgently } from './priority-lane.ts';
import { CallsRepository } from './repositories/calls-repository.ts';
import { CrmEventsRepository } from './repositories/crm-events-repository.ts';

type Work = (tx: ClickWrites) => Promise<unknown>;

/**
 * A click's event and call in one transaction, the same on SQLite and PostgreSQL. Clicks arriving
 * while a transaction commits share the next one (group commit: one disk sync for the batch); on
 * SQLite's one connection they go ahead of other writes (`urgently`). If one click's writes fail,
 * the batch rolls back and each runs again in a transaction of its own, so only its asker sees
 * the error.
 */
export function clickTransactions(db: Db, now: () => number = Date.now): ClickTransactions {
  const calls = new CallsRepository(db, now);
  const writesOn = (trx: Knex.Transaction): ClickWrites => ({
    recordEvent: (event, receivedAt) => CrmEventsRepository.insertTaken(trx, event, receivedAt),
    createCall: (call) => calls.insertIn(trx, call),
  });
  const batches = new GroupCommit<Work, unknown>((works) => urgently(() => db.transaction(async (trx) => {
    const tx = writesOn(trx);
    const out: unknown[] = [];
    for (const work of works) out.push(await work(tx));
    return out;
  })), 100);
  return {
    withTransaction: <T>(work: (tx: ClickWrites) => Promise<T>) => batches.submit(work) as Promise<T>,
  };
}
