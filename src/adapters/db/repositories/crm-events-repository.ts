import type { Db } from '../connection.ts';

export type CrmEventState = 'pending' | 'processing' | 'done' | 'failed';

/** A Bitrix24 event as persisted before the reply (its data only; never its auth block). */
export interface StoredCrmEvent {
  readonly id: number;
  readonly event: string;
  readonly eventKey: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly ts: number | null;
  readonly state: CrmEventState;
  readonly attempts: number;
  readonly outcome: string | null;
  readonly receivedAt: number;
  readonly processedAt: number | null;
}

interface EventRow {
  id: number | string;
  event: string;
  event_key: string;
  data: string;
  ts: number | string | null;
  state: string;
  attempts: number | string;
  outcome: string | null;
  received_at: number | string;
  processed_at: number | string | null;
}

const TABLE = 'crm_events';

function toEvent(r: EventRow): StoredCrmEvent {
  return {
    id: Number(r.id),
    event: r.event,
    eventKey: r.event_key,
    data: JSON.parse(r.data) as Record<string, unknown>,
    ts: r.ts === null ? null : Number(r.ts),
    state: r.state as CrmEventState,
    attempts: Number(r.attempts),
    outcome: r.outcome,
    receivedAt: Number(r.received_at),
    processedAt: r.processed_at === null ? null : Number(r.processed_at),
  };
}

/**
 * Received events, unique by (event, key): a repeated ONEXTERNALCALLSTART for the same CALL_ID is
 * stored once and so handled once. Processing is claimed with a conditional update, so two
 * instances (or a restart racing the first attempt) never handle one event twice at a time.
 */
export class CrmEventsRepository {
  constructor(private readonly db: Db) {}

  /** Stores the event; `created` is false when it was already there (a duplicate delivery). */
  async record(e: { event: string; eventKey: string; data: Record<string, unknown>; ts: number | null }, now: number): Promise<{ id: number; created: boolean }> {
    const inserted = await this.db(TABLE)
      .insert({ event: e.event, event_key: e.eventKey, data: JSON.stringify(e.data), ts: e.ts, state: 'pending', attempts: 0, received_at: now })
      .onConflict(['event', 'event_key'])
      .ignore()
      .returning('id');
    const row = await this.db<EventRow>(TABLE).where({ event: e.event, event_key: e.eventKey }).first('id');
    if (!row) throw new Error(`event ${e.event} ${e.eventKey} was not stored`);
    return { id: Number(row.id), created: inserted.length > 0 };
  }

  async get(id: number): Promise<StoredCrmEvent | null> {
    const row = await this.db<EventRow>(TABLE).where({ id }).first();
    return row ? toEvent(row) : null;
  }

  /** Takes a pending event for processing; null if someone else has it or it is finished. */
  async claim(id: number): Promise<StoredCrmEvent | null> {
    const n = await this.db(TABLE).where({ id, state: 'pending' }).update({ state: 'processing', attempts: this.db.raw('attempts + 1') });
    if (n === 0) return null;
    return this.get(id);
  }

  async finish(id: number, state: 'done' | 'failed', outcome: string, now: number): Promise<void> {
    await this.db(TABLE).where({ id }).update({ state, outcome: outcome.slice(0, 2000), processed_at: now });
  }

  /** Puts an event back to be tried again (a transient failure). */
  async release(id: number, outcome: string): Promise<void> {
    await this.db(TABLE).where({ id, state: 'processing' }).update({ state: 'pending', outcome: outcome.slice(0, 2000) });
  }

  /** Events persisted but not handled (the process stopped in between): picked up at start. */
  async listUnprocessed(limit = 500): Promise<StoredCrmEvent[]> {
    const rows = await this.db<EventRow>(TABLE).whereIn('state', ['pending', 'processing']).orderBy('id').limit(limit);
    return rows.map(toEvent);
  }

  /** At start, nothing is being processed: events left `processing` by a crash go back to pending. */
  async resetProcessing(): Promise<number> {
    return this.db(TABLE).where({ state: 'processing' }).update({ state: 'pending' });
  }

  /** Removes handled (done or failed) events received before `before` (housekeeping). */
  async purgeHandled(before: number): Promise<number> {
    return this.db(TABLE).whereIn('state', ['done', 'failed']).andWhere('received_at', '<', before).delete();
  }

  async count(): Promise<number> {
    const row = await this.db(TABLE).count({ n: '*' }).first();
    return Number((row as { n: number | string } | undefined)?.n ?? 0);
  }
}
