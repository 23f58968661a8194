import type { CrmEventsRepository } from '../../adapters/db/repositories/crm-events-repository.ts';
import type { OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import type { CrmClock } from './clock.ts';

const DAY_MS = 86_400_000;

export interface HousekeepingReport {
  /** Done outbox entries deleted. */
  readonly outbox: number;
  /** Handled Bitrix24 events deleted. */
  readonly events: number;
}

/**
 * Deletes what only history needs: outbox entries `done` and events handled more than `keepDays`
 * ago. Pending, in-flight and parked entries are never touched (they are work or need a person),
 * and neither are unprocessed events. Bitrix24 never redelivers an event days later, so dropping
 * an old event's dedupe row is safe.
 */
export async function purgeOldCrmRows(
  repos: { readonly outbox: OutboxRepository; readonly events: CrmEventsRepository },
  clock: CrmClock,
  keepDays: number,
): Promise<HousekeepingReport> {
  const before = clock.now() - keepDays * DAY_MS;
  const outbox = await repos.outbox.purgeDone(before);
  const events = await repos.events.purgeHandled(before);
  return { outbox, events };
}
