import type { PlannedWrite } from './call-record-writes.ts';
import type { OutboxEnqueuer } from './handoff-ports.ts';

/**
 * Enqueues planned writes, turning `after` keys into outbox dependencies. The writes of several plans with one multi-row insert per dependency level (a register, then
 * its finish, then its attachRecord): a batch of ended calls costs a few statements, not one per
 * write. Returns each plan's outbox ids in its own order.
 */
export async function enqueuePlans<Tx>(outbox: OutboxEnqueuer<Tx>, plans: readonly (readonly PlannedWrite[])[], now: number, trx?: Tx): Promise<number[][]> {
  const ids = plans.map(() => new Map<string, number>());
  // Each write's level: 0 without `after`, else one more than the write it waits for.
  const levels: { plan: number; write: PlannedWrite; level: number }[] = [];
  plans.forEach((writes, plan) => {
    const levelOf = new Map<string, number>();
    for (const w of writes) {
      const before = w.after === undefined ? -1 : levelOf.get(w.after);
      if (before === undefined) throw new Error(`planned write ${w.key} waits for ${w.after}, which is not planned before it`);
      levelOf.set(w.key, before + 1);
      levels.push({ plan, write: w, level: before + 1 });
    }
  });
  const depth = Math.max(-1, ...levels.map((l) => l.level));
  for (let level = 0; level <= depth; level++) {
    const batch = levels.filter((l) => l.level === level);
    const stored = await outbox.enqueueMany(batch.map(({ plan, write: w }) => ({
      dedupeKey: w.key, method: w.method, params: w.params, dependsOn: w.after !== undefined ? ids[plan]?.get(w.after) ?? null : null, inject: w.inject ?? null,
    })), now, trx);
    batch.forEach(({ plan, write }, i) => ids[plan]?.set(write.key, (stored[i] as { id: number }).id));
  }
  return plans.map((writes, plan) => writes.map((w) => ids[plan]?.get(w.key) as number));
}
