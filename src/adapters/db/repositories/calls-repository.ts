import type { Knex } from 'knex';
import {
  callRecordOf, storedCallOf, type CallAttemptRecord, type CallRecord, type StoredCall,
} from '../../../app/calls/call-record.ts';
import type {
  AttemptOutcomeUpdate, CallStore, CallUpdate, EndedCall, NewAttempt, NewCall, RouteStepWrite, TrackingWrite,
} from '../../../app/calls/ports.ts';
import { isSqlite, type Db } from '../connection.ts';
import { GroupCommit } from '../group-commit.ts';
import { urgently } from '../priority-lane.ts';
import { updateRows, type RowUpdate } from '../batch-update.ts';
import { insertSql, sqliteTransaction, type DirectWrites } from '../sqlite-direct.ts';
import { UNITS_PER_RUB } from '../../../core/savings/money.ts';
import { ATTEMPT_OUTCOME_TYPES, CALL_COLUMN_TYPES, CALL_COLUMNS, planColumns, toAttempt, toStoredCall, type AttemptRow, type CallRow } from './calls-rows.ts';

type Q = Knex | Knex.Transaction;

/** What finishing a call sets; the rest of an existing row (its plan, its refusal) stays. */
const FINISH_COLUMNS = [
  'linkedid', 'state', 'status_code', 'failed_reason', 'trunk_id', 'b24_line', 'answered_at', 'ended_at',
  'duration_sec', 'cost', 'cost_units', 'recording', 'tracked', 'crm_handoff', 'updated_at',
];

function outcomeRow(callId: string, attemptNo: number, outcome: AttemptOutcomeUpdate): { key: [string, number]; set: Record<string, unknown> } {
  return {
    key: [callId, attemptNo],
    set: {
      dial_status: outcome.dialStatus,
      hangup_cause: outcome.hangupCause,
      decision: outcome.decision,
      outcome_source: outcome.source,
      ended_at: outcome.endedAt,
    },
  };
}

/**
 * Calls, their attempts and the tracker's in-flight state, on SQLite or PostgreSQL.
 * Every write names the call it is about; nothing here decides routing or outcomes.
 */
export class CallsRepository implements CallStore {
  /** Calls created while another insert is running share one multi-row insert. */
  private readonly creates = new GroupCommit<NewCall, { readonly call: StoredCall; readonly created: boolean }>((calls) => urgently(async () => {
    // The unique id / CRM call id / channel id make a repeat a no-op; the stored row of a new call
    // is exactly what was written, so only a repeat is read back.
    const inserted = (await this.db('calls').insert(calls.map((c) => this.callRow(c))).onConflict().ignore().returning('id')) as { id: string }[];
    const fresh = new Set(inserted.map((r) => r.id));
    const out: { call: StoredCall; created: boolean }[] = [];
    for (const call of calls) {
      if (fresh.has(call.id)) {
        fresh.delete(call.id);
        out.push({ call: storedCallOf(call), created: true });
        continue;
      }
      // Already there (same id, or a concurrent request inserted the same CRM call id / channel id).
      const existing = await this.findExisting(call);
      if (!existing) throw new Error(`calls: call ${call.id} was neither stored nor found`);
      out.push({ call: existing, created: false });
    }
    return out;
  }), 40);

  /**
   * `fenceTracking` runs first in every tracking write's transaction (the leader lease's fencing
   * check): a tracker that lost its lease can no longer close or update a call.
   */
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly fenceTracking?: (trx: Knex.Transaction) => Promise<void>,
  ) {}

  /** Inserts a call; if one with the same id, CRM call id or channel id exists, returns that one instead. */
  async createCall(call: NewCall): Promise<{ readonly call: StoredCall; readonly created: boolean }> {
    return this.creates.submit(call);
  }

  /**
   * Inside the caller's transaction, in one statement: inserts calls; false for each one whose id,
   * CRM call id or channel id is stored already (or taken earlier in `calls`).
   */
  async insertIn(q: Knex.Transaction, calls: readonly NewCall[]): Promise<boolean[]> {
    const inserted = (await q('calls').insert(calls.map((c) => this.callRow(c))).onConflict().ignore().returning('id')) as { id: string }[];
    const fresh = new Set(inserted.map((r) => r.id));
    return calls.map((c) => fresh.delete(c.id));
  }

  /** The row a new call is stored as. */
  callRow(call: NewCall): Record<string, unknown> {
    return {
      id: call.id,
      crm_call_id: call.crmCallId,
      channel_id: call.channelId,
      linkedid: call.linkedid,
      originate_action_id: null,
      origin: call.origin,
      user_id: call.userId,
      extension: call.extension,
      number: call.number,
      number_e164: call.numberE164,
      line: call.line,
      state: call.state,
      plan: call.plan === null ? null : JSON.stringify(call.plan),
      ...planColumns(call.plan),
      refusal_code: call.refusalCode,
      refusal_message: call.refusalMessage,
      started_at: call.startedAt,
      crm_handoff: 'none',
      updated_at: this.now(),
    };
  }

  private attemptRow(a: NewAttempt): Record<string, unknown> {
    return {
      call_id: a.callId, attempt_no: a.attemptNo, plan_index: a.planIndex, trunk_id: a.trunkId, dial: a.dial, caller_id: a.callerId,
      tier: a.tier, per_minute: a.perMinute, linkedid: a.linkedid, started_at: a.startedAt,
    };
  }

  /**
   * Route requests' writes in one transaction (one disk sync for the batch): for each, the new call
   * (a desk phone's first request), the previous attempt's outcome, the new attempt, the call's
   * state. A new call already stored (the PBX stopped waiting for this answer and the call was
   * recorded without it, or a first request repeated) leaves all of that call's steps out; the
   * rest of the batch is stored. Returns the ids of the calls left out.
   */
  async applyRouteSteps(writes: readonly RouteStepWrite[]): Promise<string[]> {
    // As few statements as the batch allows (each one waits its turn on the connection): new calls
    // and new attempts in multi-row inserts; per call, its updates merged in order, and calls that
    // end up with the same change updated together. Order within a call holds: the call before its
    // attempts, an attempt before its outcome, later changes over earlier ones.
    const newCalls = writes.flatMap((w) => (w.newCall ? [this.callRow(w.newCall)] : []));
    const rest = (left: ReadonlySet<string>) => {
      const kept = writes.filter((w) => !left.has(w.callId));
      const merged = new Map<string, Record<string, unknown>>();
      for (const w of kept) {
        if (!w.update || Object.keys(w.update).length === 0) continue;
        merged.set(w.callId, { ...merged.get(w.callId), ...this.callPatch(w.update) });
      }
      const now = this.now();
      return {
        attempts: kept.flatMap((w) => (w.attempt ? [this.attemptRow(w.attempt)] : [])),
        outcomes: kept.flatMap((w) => (w.outcome ? [outcomeRow(w.callId, w.outcome.attemptNo, w.outcome.outcome)] : [])),
        updates: [...merged].map(([id, patch]) => ({ key: [id], set: { ...patch, updated_at: now } })),
      };
    };
    if (isSqlite(this.db)) {
      return sqliteTransaction(this.db, (w) => applyRouteStepsDirect(w, newCalls, rest));
    }
    return this.db.transaction(async (trx) => {
      const stored = new Set<string>();
      for (let i = 0; i < newCalls.length; i += 40) {
        const inserted = (await trx('calls').insert(newCalls.slice(i, i + 40)).onConflict().ignore().returning('id')) as { id: string }[];
        for (const r of inserted) stored.add(r.id);
      }
      const left = notStored(newCalls, stored);
      const { attempts, outcomes, updates } = rest(left);
      for (let i = 0; i < attempts.length; i += 80) {
        await trx('call_attempts').insert(attempts.slice(i, i + 80)).onConflict(['call_id', 'attempt_no']).ignore();
      }
      await updateRows(trx, 'call_attempts', ['call_id', 'attempt_no'], ATTEMPT_OUTCOME_TYPES, outcomes);
      await updateRows(trx, 'calls', ['id'], CALL_COLUMN_TYPES, updates);
      return [...left];
    });
  }

  private async findExisting(call: NewCall): Promise<StoredCall | null> {
    return (await this.getCall(call.id))
      ?? (call.crmCallId !== null ? await this.findByCrmCallId(call.crmCallId) : null)
      ?? (call.channelId !== null ? await this.findByChannelId(call.channelId) : null);
  }

  async getCall(id: string, q: Q = this.db): Promise<StoredCall | null> {
    const row = await q<CallRow>('calls').where({ id }).first();
    return row ? toStoredCall(row) : null;
  }

  async findByCrmCallId(crmCallId: string): Promise<StoredCall | null> {
    const row = await this.db<CallRow>('calls').where({ crm_call_id: crmCallId }).first();
    return row ? toStoredCall(row) : null;
  }

  async findByChannelId(channelId: string): Promise<StoredCall | null> {
    const row = await this.db<CallRow>('calls').where({ channel_id: channelId }).first();
    return row ? toStoredCall(row) : null;
  }

  /** The most recent call with this Linkedid. */
  async findByLinkedid(linkedid: string, q: Q = this.db): Promise<StoredCall | null> {
    const row = await q<CallRow>('calls').where({ linkedid }).orderBy('started_at', 'desc').first();
    return row ? toStoredCall(row) : null;
  }

  /** Calls matching any of these Linkedids or channel ids (the tracker closes calls in batches). */
  async findForTracking(linkedids: readonly string[], channelIds: readonly string[]): Promise<StoredCall[]> {
    const out: StoredCall[] = [];
    for (let i = 0; i < Math.max(linkedids.length, channelIds.length); i += 400) {
      const l = linkedids.slice(i, i + 400);
      const c = channelIds.slice(i, i + 400);
      const rows = await this.db<CallRow>('calls').where((q) => {
        q.whereIn('linkedid', l.length > 0 ? l : ['']);
        if (c.length > 0) q.orWhereIn('channel_id', c);
      });
      out.push(...rows.map(toStoredCall));
    }
    return out;
  }

  /** Attempts of several calls, grouped by call id. */
  async listAttemptsOf(callIds: readonly string[]): Promise<Map<string, CallAttemptRecord[]>> {
    const out = new Map<string, CallAttemptRecord[]>();
    for (let i = 0; i < callIds.length; i += 400) {
      const rows = await this.db<AttemptRow>('call_attempts').whereIn('call_id', callIds.slice(i, i + 400)).orderBy('attempt_no');
      for (const r of rows) {
        const list = out.get(r.call_id) ?? [];
        list.push(toAttempt(r));
        out.set(r.call_id, list);
      }
    }
    return out;
  }

  async findByOriginateActionId(actionId: string): Promise<StoredCall | null> {
    const row = await this.db<CallRow>('calls').where({ originate_action_id: actionId }).first();
    return row ? toStoredCall(row) : null;
  }

  /** By call id, CRM call id, channel id or Linkedid — what an admin has at hand. */
  async findCall(key: string): Promise<StoredCall | null> {
    return (await this.getCall(key)) ?? (await this.findByCrmCallId(key)) ?? (await this.findByChannelId(key)) ?? (await this.findByLinkedid(key));
  }

  async updateCall(id: string, update: CallUpdate, q: Q = this.db): Promise<void> {
    await q('calls').where({ id }).update({ updated_at: this.now(), ...this.callPatch(update) });
  }

  /** The columns a CallUpdate sets. */
  private callPatch(update: CallUpdate): Record<string, unknown> {
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(update)) {
      if (value === undefined) continue;
      const column = CALL_COLUMNS[key];
      if (column === undefined) throw new Error(`calls: "${key}" cannot be updated`);
      patch[column] = value;
    }
    return patch;
  }

  /** Stores an attempt; a repeated request for the same attempt number keeps the first. Returns false if it existed. */
  async addAttempt(attempt: NewAttempt): Promise<boolean> {
    const inserted = await this.db('call_attempts').insert(this.attemptRow(attempt)).onConflict(['call_id', 'attempt_no']).ignore().returning('id');
    return inserted.length > 0;
  }

  async setAttemptOutcome(callId: string, attemptNo: number, outcome: AttemptOutcomeUpdate, q: Q = this.db): Promise<void> {
    await q('call_attempts').where({ call_id: callId, attempt_no: attemptNo }).update(outcomeRow(callId, attemptNo, outcome).set);
  }

  async listAttempts(callId: string, q: Q = this.db): Promise<CallAttemptRecord[]> {
    const rows = await q<AttemptRow>('call_attempts').where({ call_id: callId }).orderBy('attempt_no');
    return rows.map(toAttempt);
  }

  async listCalls(options: { readonly limit: number }): Promise<StoredCall[]> {
    const rows = await this.db<CallRow>('calls').orderBy('started_at', 'desc').orderBy('id').limit(options.limit);
    return rows.map(toStoredCall);
  }

  async listOpenCalls(startedBefore: number): Promise<StoredCall[]> {
    const rows = await this.db<CallRow>('calls')
      .where('state', '<>', 'ended')
      .where('started_at', '<', startedBefore)
      .whereNot((q) => q.where('origin', 'crm').whereNotNull('refusal_code'))
      .orderBy('started_at').orderBy('id');
    return rows.map(toStoredCall);
  }

  /**
   * The tracker's batched write: in-flight states saved or removed, ended calls finished
   * (their row, any attempt outcomes learnt from AMI, `crm_handoff` = pending) — one transaction.
   */
  async applyTracking(write: TrackingWrite): Promise<void> {
    if (write.save.length === 0 && write.remove.length === 0 && write.ended.length === 0) return;
    const now = this.now();
    await this.db.transaction(async (trx) => {
      await this.fenceTracking?.(trx);
      if (write.save.length > 0) {
        const rows = write.save.map((s) => ({ linkedid: s.linkedid, state: JSON.stringify(s.state), updated_at: now }));
        // Chunked: SQLite limits bound parameters per statement.
        for (let i = 0; i < rows.length; i += 200) {
          await trx('call_tracking').insert(rows.slice(i, i + 200)).onConflict('linkedid').merge(['state', 'updated_at']);
        }
      }
      for (let i = 0; i < write.remove.length; i += 500) {
        await trx('call_tracking').whereIn('linkedid', write.remove.slice(i, i + 500)).delete();
      }
      await this.finishAll(trx, write.ended, now);
    });
  }

  /**
   * Ended calls: each row set to its outcome — an upsert, as the tracker may close a call whose row
   * it never saw written (then it is inserted) — their new attempts and attempt outcomes; one
   * statement of each kind for the whole batch.
   */
  private async finishAll(trx: Knex.Transaction, ended: readonly EndedCall[], now: number): Promise<void> {
    if (ended.length === 0) return;
    // One row per call (PostgreSQL refuses to upsert a row twice in one statement): the last end wins.
    const rows = [...new Map(ended.map((e) => [e.call.id, e])).values()].map(({ call: c, ...e }) => ({
      id: c.id, crm_call_id: c.crmCallId, channel_id: c.channelId, origin: c.origin, user_id: c.userId,
      extension: c.extension, number: c.number, number_e164: c.numberE164, line: c.line,
      plan: c.plan === null ? null : JSON.stringify(c.plan), ...planColumns(c.plan), refusal_code: c.refusalCode, refusal_message: c.refusalMessage, started_at: c.startedAt,
      linkedid: c.linkedid, state: 'ended', status_code: e.statusCode, failed_reason: e.failedReason, trunk_id: e.trunkId,
      b24_line: e.b24Line, answered_at: e.answeredAt, ended_at: e.endedAt, duration_sec: e.durationSec, cost: e.cost,
      cost_units: e.cost === null ? null : Math.round(e.cost * UNITS_PER_RUB),
      recording: e.recording, tracked: JSON.stringify(e.tracked), crm_handoff: e.crmHandoff, updated_at: now,
    }));
    for (let i = 0; i < rows.length; i += 20) await trx('calls').insert(rows.slice(i, i + 20)).onConflict('id').merge(FINISH_COLUMNS);
    const attempts = ended.flatMap(({ call: c, newAttempts }) => newAttempts.map((a) => ({
      call_id: c.id, attempt_no: a.attemptNo, plan_index: a.planIndex, trunk_id: a.trunkId, dial: a.dial,
      caller_id: a.callerId, tier: a.tier, per_minute: a.perMinute, linkedid: a.linkedid, dial_status: a.dialStatus,
      hangup_cause: a.hangupCause, decision: a.decision, outcome_source: a.outcomeSource, started_at: a.startedAt, ended_at: a.endedAt,
    })));
    for (let i = 0; i < attempts.length; i += 50) {
      await trx('call_attempts').insert(attempts.slice(i, i + 50)).onConflict(['call_id', 'attempt_no']).ignore();
    }
    const outcomes = ended.flatMap(({ call: c, attemptOutcomes }) => attemptOutcomes.map((u) => outcomeRow(c.id, u.attemptNo, u.outcome)));
    await updateRows(trx, 'call_attempts', ['call_id', 'attempt_no'], ATTEMPT_OUTCOME_TYPES, outcomes);
  }

  async loadTracking(): Promise<{ readonly linkedid: string; readonly state: unknown }[]> {
    const rows = await this.db<{ linkedid: string; state: string }>('call_tracking').select('linkedid', 'state');
    const out: { linkedid: string; state: unknown }[] = [];
    for (const r of rows) {
      try {
        out.push({ linkedid: r.linkedid, state: JSON.parse(r.state) as unknown });
      } catch {
        throw new Error(`calls: tracked state of linkedid ${r.linkedid} is not valid JSON`);
      }
    }
    return out;
  }

  /** Ended calls the CRM side has not taken yet, oldest first. */
  async listCallsPendingCrmHandoff(limit: number): Promise<CallRecord[]> {
    const rows = await this.db<CallRow>('calls').where({ crm_handoff: 'pending' }).orderBy('ended_at').orderBy('id').limit(limit);
    const calls = rows.map(toStoredCall);
    // The attempts of the whole batch in one read rather than one per call.
    const attempts = await this.listAttemptsOf(calls.map((c) => c.id));
    const out: CallRecord[] = [];
    for (const call of calls) {
      const record = callRecordOf(call, attempts.get(call.id) ?? []);
      if (record) out.push(record);
    }
    return out;
  }

  /** The CRM side took the call (call it in the same transaction as its outbox insert). */
  async markCrmHandoffDone(callId: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)('calls').where({ id: callId, crm_handoff: 'pending' }).update({ crm_handoff: 'done', updated_at: this.now() });
  }

  /** markCrmHandoffDone for several calls in one statement. */
  async markCrmHandoffDoneMany(callIds: readonly string[], trx?: Knex.Transaction): Promise<void> {
    for (let i = 0; i < callIds.length; i += 400) {
      await (trx ?? this.db)('calls').whereIn('id', callIds.slice(i, i + 400)).andWhere({ crm_handoff: 'pending' }).update({ crm_handoff: 'done', updated_at: this.now() });
    }
  }

  async getRecord(callId: string): Promise<CallRecord | null> {
    const call = await this.getCall(callId);
    return call ? callRecordOf(call, await this.listAttempts(call.id)) : null;
  }
}

/**
 * The route steps on SQLite: one prepared statement per row, run again for every request (SQLite
 * runs a statement of one row as fast as a share of a multi-row one; building and preparing it is
 * what costs). Same order and effect as the knex path.
 */
async function applyRouteStepsDirect(
  w: DirectWrites,
  calls: readonly Record<string, unknown>[],
  rest: (left: ReadonlySet<string>) => { attempts: readonly Record<string, unknown>[]; outcomes: readonly RowUpdate[]; updates: readonly RowUpdate[] },
): Promise<string[]> {
  // An undefined value is stored as NULL, as knex's insert stores it.
  const values = (row: Record<string, unknown>): unknown[] => Object.values(row).map((v) => v ?? null);
  const stored = new Set<string>();
  for (const row of calls) {
    if ((await w.run(insertSql('calls', Object.keys(row), ' ON CONFLICT DO NOTHING'), values(row))) > 0) stored.add(row.id as string);
  }
  const left = notStored(calls, stored);
  const { attempts, outcomes, updates } = rest(left);
  for (const row of attempts) await w.run(insertSql('call_attempts', Object.keys(row), ' ON CONFLICT ("call_id", "attempt_no") DO NOTHING'), values(row));
  for (const u of outcomes) await runUpdate(w, 'call_attempts', ['call_id', 'attempt_no'], u);
  for (const u of updates) await runUpdate(w, 'calls', ['id'], u);
  return [...left];
}

/** New calls this batch did not store (stored before it): the same call twice in a batch is stored once, not left out. */
function notStored(calls: readonly Record<string, unknown>[], stored: ReadonlySet<string>): Set<string> {
  return new Set(calls.map((row) => row.id as string).filter((id) => !stored.has(id)));
}

/** One row's UPDATE; undefined values leave their column alone (as knex's update). */
async function runUpdate(w: DirectWrites, table: string, keyColumns: readonly string[], u: RowUpdate): Promise<void> {
  const set = Object.entries(u.set).filter(([, v]) => v !== undefined);
  if (set.length === 0) return;
  const id = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  const sql = `UPDATE ${id(table)} SET ${set.map(([c]) => `${id(c)} = ?`).join(', ')} WHERE ${keyColumns.map((k) => `${id(k)} = ?`).join(' AND ')}`;
  await w.run(sql, [...set.map(([, v]) => v), ...u.key]);
}

/** Free functions for the CRM side, which receives a Db rather than this class. */
export function listCallsPendingCrmHandoff(db: Db, limit: number): Promise<CallRecord[]> {
  return new CallsRepository(db).listCallsPendingCrmHandoff(limit);
}

export function markCrmHandoffDone(db: Db, callId: string, trx?: Knex.Transaction): Promise<void> {
  return new CallsRepository(db).markCrmHandoffDone(callId, trx);
}
