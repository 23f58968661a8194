import type { Knex } from 'knex';
import type { OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import type { PlannedWrite } from './call-record-writes.ts';

/** Enqueues planned writes in order, turning `after` keys into outbox dependencies. */
export async function enqueuePlan(outbox: OutboxRepository, writes: readonly PlannedWrite[], now: number, trx?: Knex.Transaction): Promise<number[]> {
  const ids = new Map<string, number>();
  const out: number[] = [];
  for (const w of writes) {
    const dependsOn = w.after !== undefined ? ids.get(w.after) : undefined;
    if (w.after !== undefined && dependsOn === undefined) throw new Error(`planned write ${w.key} waits for ${w.after}, which is not planned before it`);
    const { id } = await outbox.enqueue({ dedupeKey: w.key, method: w.method, params: w.params, dependsOn: dependsOn ?? null, inject: w.inject ?? null }, now, trx);
    ids.set(w.key, id);
    out.push(id);
  }
  return out;
}
