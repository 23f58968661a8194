import type { Knex } from 'knex';
import { isSqlite, type Db } from '../connection.ts';
import type { NewOutboxEntry } from '../../../app/crm/handoff-ports.ts';

export type OutboxState = 'pending' | 'inflight' | 'done' | 'parked';
export const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'inflight', 'done', 'parked'];

/** One durable CRM write: a REST method and its params, retried until done or parked. */
export interface OutboxEntry {
  readonly id: number;
  readonly dedupeKey: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** This entry waits until that one is done and takes values from its result (see `inject`). */
  readonly dependsOn: number | null;
  /** `{ PARAM: resultField }`: params filled from the predecessor's result when sent. */
  readonly inject: Readonly<Record<string, string>> | null;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly result: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A claimed entry with its predecessor's result, ready to send. */
export interface ClaimedOutboxEntry extends OutboxEntry {
  readonly dependencyResult: unknown;
}

interface OutboxRow {
  id: number | string;
  dedupe_key: string;
  method: string;
  params: string;
  depends_on: number | string | null;
  inject: string | null;
  state: string;
  attempts: number | string;
  next_attempt_at: number | string;
  claimed_by: string | null;
  claimed_until: number | string | null;
  last_error: string | null;
  result: string | null;
  created_at: number | string;
  updated_at: number | string;
}

const TABLE = 'crm_outbox';
/** The predicate of the partial index crm_outbox_open (migration 023), repeated as is so both databases use it. */
const OPEN_STATES = "state in ('pending', 'inflight')";

/** A select of outbox ids, claimed in the order it returns them. */
export type DueIdsQuery = Knex.QueryBuilder<OutboxRow, { id: number | string }[]>;

/** last_error of an entry taken over from an instance whose claim ran out mid-send. */
export const LEASE_EXPIRED = 'LEASE_EXPIRED: the previous attempt never reported back (instance stopped mid-send)';

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function toEntry(r: OutboxRow): OutboxEntry {
  return {
    id: Number(r.id),
    dedupeKey: r.dedupe_key,
    method: r.method,
    params: (parseJson(r.params) ?? {}) as Record<string, unknown>,
    dependsOn: r.depends_on === null ? null : Number(r.depends_on),
    inject: parseJson(r.inject) as Record<string, string> | null,
    state: r.state as OutboxState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error,
    result: parseJson(r.result),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/**
 * The outbox table. Claiming is safe with several connector instances: on PostgreSQL the due rows
 * are locked with `FOR UPDATE SKIP LOCKED`; on both databases the claim itself is a conditional
 * update, and only rows that still carry this worker's lease are returned.
 */
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  /** Inserts unless the dedupe key exists; returns the id of the (new or existing) entry. */
  async enqueue(entry: NewOutboxEntry, now: number, trx?: Knex.Transaction): Promise<{ id: number; created: boolean }> {
    return (await this.enqueueMany([entry], now, trx))[0] as { id: number; created: boolean };
  }

  /**
   * Several entries in one multi-row insert (unless their dedupe keys exist); ids in input order.
   * Entries here must not depend on each other (enqueuePlans inserts a chain level by level).
   */
  async enqueueMany(entries: readonly NewOutboxEntry[], now: number, trx?: Knex.Transaction): Promise<{ id: number; created: boolean }[]> {
    const q = trx ?? this.db;
    const ids = new Map<string, { id: number; created: boolean }>();
    for (let i = 0; i < entries.length; i += 100) {
      const rows = entries.slice(i, i + 100).map((entry) => ({
        dedupe_key: entry.dedupeKey,
        method: entry.method,
        params: JSON.stringify(entry.params),
        depends_on: entry.dependsOn ?? null,
        inject: entry.inject ? JSON.stringify(entry.inject) : null,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      }));
      const inserted = (await q(TABLE).insert(rows).onConflict('dedupe_key').ignore().returning(['id', 'dedupe_key'])) as { id: number | string; dedupe_key: string }[];
      for (const r of inserted) ids.set(r.dedupe_key, { id: Number(r.id), created: true });
    }
    // Keys stored before (a repeated hand-off): one read for all of them.
    const missing = [...new Set(entries.map((e) => e.dedupeKey).filter((k) => !ids.has(k)))];
    for (let i = 0; i < missing.length; i += 400) {
      const rows = await q<OutboxRow>(TABLE).whereIn('dedupe_key', missing.slice(i, i + 400)).select('id', 'dedupe_key');
      for (const r of rows) ids.set(r.dedupe_key, { id: Number(r.id), created: false });
    }
    const seen = new Set<string>();
    return entries.map((e) => {
      const found = ids.get(e.dedupeKey);
      if (!found) throw new Error(`outbox entry ${e.dedupeKey} was not stored`);
      // The same key twice in one call: only its first occurrence created it.
      const created = found.created && !seen.has(e.dedupeKey);
      seen.add(e.dedupeKey);
      return { id: found.id, created };
    });
  }

  async get(id: number): Promise<OutboxEntry | null> {
    const row = await this.db<OutboxRow>(TABLE).where({ id }).first();
    return row ? toEntry(row) : null;
  }

  async getByKey(dedupeKey: string): Promise<OutboxEntry | null> {
    const row = await this.db<OutboxRow>(TABLE).where({ dedupe_key: dedupeKey }).first();
    return row ? toEntry(row) : null;
  }

  /**
   * Claims up to `limit` due entries: pending and due, or in flight with an expired lease (a
   * worker died mid-send); an entry with a predecessor only once the predecessor is done.
   */
  async claimDue(now: number, limit: number, owner: string, leaseMs: number): Promise<ClaimedOutboxEntry[]> {
    const until = now + leaseMs;
    const claimedIds = await this.db.transaction(async (trx) => {
      let q = this.dueQuery(trx, now, limit);
      if (!isSqlite(this.db)) q = q.forUpdate().skipLocked();
      const candidates = (await q).map((r) => Number(r.id));
      if (candidates.length === 0) return [];
      await trx(TABLE)
        .whereIn('id', candidates)
        .andWhere('state', 'pending')
        .update({ state: 'inflight', claimed_by: owner, claimed_until: until, updated_at: now });
      // A lease that ran out means an instance stopped between sending and recording the answer:
      // that send counts as an attempt that may have landed (a retried finish answered "Call is
      // not found" is then known to be done — DECISIONS §20).
      await trx(TABLE)
        .whereIn('id', candidates)
        .andWhere('state', 'inflight')
        .andWhere('claimed_until', '<', now)
        .update({
          claimed_by: owner, claimed_until: until, updated_at: now,
          attempts: trx.raw('attempts + 1'),
          last_error: LEASE_EXPIRED,
        });
      return candidates;
    });
    if (claimedIds.length === 0) return [];
    const rows = await this.db<OutboxRow>(TABLE)
      .whereIn('id', claimedIds)
      .andWhere({ state: 'inflight', claimed_by: owner, claimed_until: until })
      .orderBy('id');
    const entries = rows.map(toEntry);
    const depIds = [...new Set(entries.map((e) => e.dependsOn).filter((d): d is number => d !== null))];
    const depResults = new Map<number, unknown>();
    if (depIds.length > 0) {
      const deps = await this.db<OutboxRow>(TABLE).whereIn('id', depIds).select('id', 'result');
      for (const d of deps) depResults.set(Number(d.id), parseJson(d.result));
    }
    return entries.map((e) => ({ ...e, dependencyResult: e.dependsOn === null ? null : depResults.get(e.dependsOn) ?? null }));
  }

  /**
   * The ids of the entries a claim takes (see claimDue). It walks the open entries in id order
   * (crm_outbox_open) and looks each predecessor up by its key: neither step reads the done rows,
   * however many the purge has left.
   */
  protected dueQuery(trx: Knex.Transaction, now: number, limit: number): DueIdsQuery {
    // SQLite, without statistics, would rather read the open rows through crm_outbox_due and sort them.
    const from = isSqlite(this.db) ? trx.raw(`${TABLE} as o indexed by crm_outbox_open`) : `${TABLE} as o`;
    return trx<OutboxRow>(from)
      .select('o.id')
      .whereRaw(`o.${OPEN_STATES}`)
      // One expression, not an OR of two ranges of crm_outbox_due, which the planners would read and sort.
      .andWhereRaw(`(case when o.state = 'pending' then o.next_attempt_at <= ? else o.claimed_until < ? end)`, [now, now])
      .andWhere((w) => {
        w.whereNull('o.depends_on').orWhereRaw(`(select d.state from ${TABLE} d where d.id = o.depends_on) = 'done'`);
      })
      .orderBy('o.id')
      .limit(limit);
  }

  /** Marks a claimed entry done with the portal's result. */
  async markDone(id: number, result: unknown, now: number, owner: string): Promise<boolean> {
    const n = await this.db(TABLE)
      .where({ id, state: 'inflight', claimed_by: owner })
      .update({ state: 'done', result: JSON.stringify(result ?? null), last_error: null, claimed_by: null, claimed_until: null, updated_at: now });
    return n > 0;
  }

  /** Marks several claimed entries done, each with its own result, in one statement. */
  async markDoneMany(done: readonly { readonly id: number; readonly result: unknown }[], now: number, owner: string): Promise<void> {
    for (let i = 0; i < done.length; i += 200) {
      const chunk = done.slice(i, i + 200);
      const result = this.db.raw(`case id ${chunk.map(() => 'when ? then ?').join(' ')} end`, chunk.flatMap((d) => [d.id, JSON.stringify(d.result ?? null)]));
      await this.db(TABLE)
        .whereIn('id', chunk.map((d) => d.id))
        .andWhere({ state: 'inflight', claimed_by: owner })
        .update({ state: 'done', result, last_error: null, claimed_by: null, claimed_until: null, updated_at: now });
    }
  }

  /** Records a failed attempt: back to pending at `nextAttemptAt`, or parked. `error` must hold no secret. */
  async markFailed(id: number, failure: { error: string; park: boolean; nextAttemptAt: number }, now: number, owner: string): Promise<boolean> {
    const n = await this.db(TABLE)
      .where({ id, state: 'inflight', claimed_by: owner })
      .update(this.failedAttempt(failure, now));
    return n > 0;
  }

  /** Records the same failed attempt for several claimed entries in one statement (a whole batch refused). */
  async markFailedMany(ids: readonly number[], failure: { error: string; park: boolean; nextAttemptAt: number }, now: number, owner: string): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db(TABLE)
        .whereIn('id', ids.slice(i, i + 500))
        .andWhere({ state: 'inflight', claimed_by: owner })
        .update(this.failedAttempt(failure, now));
    }
  }

  /** The columns of a failed attempt: one more attempt, unclaimed, pending again or parked. */
  private failedAttempt(failure: { error: string; park: boolean; nextAttemptAt: number }, now: number) {
    return {
      state: failure.park ? 'parked' : 'pending',
      attempts: this.db.raw('attempts + 1'),
      next_attempt_at: failure.nextAttemptAt,
      last_error: failure.error.slice(0, 2000),
      claimed_by: null,
      claimed_until: null,
      updated_at: now,
    };
  }

  /** Gives a claimed entry back without counting an attempt (e.g. the client-side limiter said wait). */
  async release(id: number, now: number, owner: string): Promise<void> {
    await this.db(TABLE)
      .where({ id, state: 'inflight', claimed_by: owner })
      .update({ state: 'pending', claimed_by: null, claimed_until: null, updated_at: now });
  }

  async list(options: { state?: OutboxState; limit?: number } = {}): Promise<OutboxEntry[]> {
    let q = this.db<OutboxRow>(TABLE).orderBy('id').limit(options.limit ?? 1000);
    if (options.state) q = q.where({ state: options.state });
    return (await q).map(toEntry);
  }

  async counts(): Promise<Record<OutboxState, number>> {
    const rows = await this.db(TABLE).select('state').count({ n: '*' }).groupBy('state');
    const out: Record<OutboxState, number> = { pending: 0, inflight: 0, done: 0, parked: 0 };
    for (const r of rows as { state: string; n: number | string }[]) {
      if ((OUTBOX_STATES as readonly string[]).includes(r.state)) out[r.state as OutboxState] = Number(r.n);
    }
    return out;
  }

  /** Replays a parked entry: pending now, attempts reset. False if it is not parked. */
  async retry(id: number, now: number): Promise<boolean> {
    const n = await this.db(TABLE)
      .where({ id, state: 'parked' })
      .update({ state: 'pending', attempts: 0, next_attempt_at: now, updated_at: now });
    return n > 0;
  }

  async retryAllParked(now: number): Promise<number> {
    return this.db(TABLE).where({ state: 'parked' }).update({ state: 'pending', attempts: 0, next_attempt_at: now, updated_at: now });
  }

  /** Removes done entries older than `before` (housekeeping). */
  async purgeDone(before: number): Promise<number> {
    return this.db(TABLE).where({ state: 'done' }).andWhere('updated_at', '<', before).delete();
  }
}
