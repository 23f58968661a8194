import { FileIntakeJournal } from '../adapters/journal/intake-journal.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { NewCall } from '../app/calls/ports.ts';
import type { JournaledEvent } from '../app/crm/ports.ts';

export interface IntakeStores {
  createCall(call: NewCall): Promise<{ readonly created: boolean }>;
  record(event: Omit<JournaledEvent, 'receivedAt'>, receivedAt: number): Promise<{ readonly created: boolean }>;
}

/**
 * Opens the intake journal after storing what the previous process left in it: the calls it may
 * have dialled (never dialled again; their AMI events find them) and the clicks it answered (left
 * `processing`, so the CRM side's start handles them like any event a stop interrupted).
 */
export async function openIntakeJournal(dir: string, stores: IntakeStores, logger: Logger): Promise<FileIntakeJournal> {
  const recovered = FileIntakeJournal.recover(dir);
  for (const where of recovered.skipped) logger.warn({ where }, 'intake journal: unreadable line skipped (a write cut short by a stop)');
  let calls = 0;
  let events = 0;
  // Calls first: a recovered click then finds its call stored and is not dialled again.
  for (const call of recovered.calls) if ((await stores.createCall(call)).created) calls += 1;
  for (const e of recovered.events) {
    if ((await stores.record({ event: e.event, eventKey: e.eventKey, data: e.data, ts: e.ts }, e.receivedAt)).created) events += 1;
  }
  if (calls + events > 0) logger.warn({ calls, events }, 'intake journal: clicks and calls of the last stop stored; none is dialled twice');
  return FileIntakeJournal.open(dir);
}
