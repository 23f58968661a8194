import type { Knex } from 'knex';
import type { Db } from '../connection.ts';
import { GroupCommit } from '../group-commit.ts';
import { urgently } from '../priority-lane.ts';

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

/** An event to store as taken for processing. */
export interface TakenInput {
  readonly event: { event: string; eventKey: string; data: Readonly<Record<string, unknown>>; ts: number | null };
  readonly receivedAt: number;
}

export interface EventRow {
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

/** What an insert of taken events hands back for each new row. */
export interface TakenKey {
  readonly id: number | string;
  readonly event: string;
  readonly event_key: string;
}

export interface RecordResult {
  readonly id: number;
  readonly created: boolean;
  /** The stored row, taken for processing; null for a duplicate. */
  readonly stored: StoredCrmEvent | null;
}

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
  /** Claims made while another is running share one statement. */
  private readonly claims = new GroupCommit<number, StoredCrmEvent | null>((ids) => urgently(async () => {
    const rows = (await this.db(TABLE).whereIn('id', [...new Set(ids)]).andWhere({ state: 'pending' })
      .update({ state: 'processing', attempts: this.db.raw('attempts + 1') }, '*')) as unknown as EventRow[];
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    // The same id twice in one batch: only the first asker gets it.
    return ids.map((id) => {
      const row = byId.get(id);
      byId.delete(id);
      return row ? toEvent(row) : null;
    });
  }));

  constructor(private readonly db: Db) {}

  /**
   * Events stored while another insert is running share one multi-row insert. A new event is
   * stored already taken (`processing`, attempt 1) by the process that received it, which handles
   * it right after the reply: no second statement before the Originate. A stop in between leaves
   * it `processing`, which the next start puts back to pending.
   */
  private readonly records = new GroupCommit<{ row: Record<string, unknown>; event: string; eventKey: string }, RecordResult>((inputs) => urgently(async () => {
    const keyOf = (event: string, eventKey: string) => `${event}\n${eventKey}`;
    const inserted = (await this.db(TABLE).insert(inputs.map((i) => i.row)).onConflict(['event', 'event_key']).ignore()
      .returning('*')) as EventRow[];
    const fresh = new Map(inserted.map((r) => [keyOf(r.event, r.event_key), r]));
    const known = new Map<string, number>();
    const out: RecordResult[] = [];
    for (const i of inputs) {
      const key = keyOf(i.event, i.eventKey);
      const row = fresh.get(key);
      // The first of a key in the batch created it; a repeat (here or stored before) did not.
      if (row !== undefined) {
        fresh.delete(key);
        known.set(key, Number(row.id));
        out.push({ id: Number(row.id), created: true, stored: toEvent(row) });
        continue;
      }
      let existing = known.get(key);
      if (existing === undefined) {
        const found = await this.db<EventRow>(TABLE).where({ event: i.event, event_key: i.eventKey }).first('id');
        if (!found) throw new Error(`event ${i.event} ${i.eventKey} was not stored`);
        existing = Number(found.id);
        known.set(key, existing);
      }
      out.push({ id: existing, created: false, stored: null });
    }
    return out;
  }), 100);

  /**
   * Stores the event taken for processing by the caller; `created` is false (and `stored` null)
   * when it was already there (a duplicate delivery), which the caller then leaves alone.
   */
  async record(e: { event: string; eventKey: string; data: Record<string, unknown>; ts: number | null }, now: number): Promise<RecordResult> {
    return this.records.submit({
      event: e.event,
      eventKey: e.eventKey,
      row: { event: e.event, event_key: e.eventKey, data: JSON.stringify(e.data), ts: e.ts, state: 'processing', attempts: 1, received_at: now },
    });
  }

  /**
   * Inside the caller's transaction, in one statement: stores events taken for processing; null
   * for each one stored already (a repeated delivery, or the same key earlier in `inputs`).
   */
  static async insertTaken(q: Knex.Transaction, inputs: readonly TakenInput[]): Promise<(StoredCrmEvent | null)[]> {
    const inserted = (await q(TABLE).insert(inputs.map(CrmEventsRepository.takenRow)).onConflict(['event', 'event_key']).ignore()
      .returning(['id', 'event', 'event_key'])) as TakenKey[];
    return CrmEventsRepository.matchTaken(inputs, inserted);
  }

  /** The row an event taken for processing is stored as. */
  static takenRow({ event: e, receivedAt }: TakenInput): Record<string, unknown> {
    return { event: e.event, event_key: e.eventKey, data: JSON.stringify(e.data), ts: e.ts, state: 'processing', attempts: 1, received_at: receivedAt };
  }

  /**
   * Each input as stored, or null (stored before, or a repeat earlier in `inputs`): the insert
   * hands back only the new rows' keys and ids, the rest is what was written.
   */
  static matchTaken(inputs: readonly TakenInput[], inserted: readonly TakenKey[]): (StoredCrmEvent | null)[] {
    const fresh = new Map(inserted.map((r) => [`${r.event}\n${r.event_key}`, r.id]));
    return inputs.map(({ event: e, receivedAt }) => {
      const key = `${e.event}\n${e.eventKey}`;
      const id = fresh.get(key);
      fresh.delete(key);
      return id === undefined ? null : {
        id: Number(id), event: e.event, eventKey: e.eventKey, data: e.data, ts: e.ts, state: 'processing', attempts: 1, outcome: null, receivedAt, processedAt: null,
      };
    });
  }

  async get(id: number): Promise<StoredCrmEvent | null> {
    const row = await this.db<EventRow>(TABLE).where({ id }).first();
    return row ? toEvent(row) : null;
  }

  /** Takes a pending event for processing; null if someone else has it or it is finished. */
  async claim(id: number): Promise<StoredCrmEvent | null> {
    // One statement: the conditional update hands back the rows it took (RETURNING, SQLite ≥ 3.35 and PostgreSQL).
    return this.claims.submit(id);
  }

  async finish(id: number, state: 'done' | 'failed', outcome: string, now: number): Promise<void> {
    await this.db(TABLE).where({ id }).update({ state, outcome: outcome.slice(0, 2000), processed_at: now });
  }

  /** Finishes several events with the same outcome in one statement. */
  async finishMany(ids: readonly number[], state: 'done' | 'failed', outcome: string, now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db(TABLE).whereIn('id', ids.slice(i, i + 500)).update({ state, outcome: outcome.slice(0, 2000), processed_at: now });
    }
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
