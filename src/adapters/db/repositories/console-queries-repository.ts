import type { CallAttemptRecord, StoredCall } from '../../../app/calls/call-record.ts';
import type { CallCountRow, CallCounts, CallLogSource, CallSearch, CrmWrite, OutboxPort, ParkedWrite } from '../../../app/console/ports.ts';
import type { Db } from '../connection.ts';
import { toAttempt, toStoredCall, type AttemptRow, type CallRow } from './calls-rows.ts';
import { OutboxRepository } from './outbox-repository.ts';

interface OutboxRow {
  id: number | string;
  dedupe_key: string;
  method: string;
  state: string;
  attempts: number | string;
  last_error: string | null;
  created_at: number | string;
  updated_at: number | string;
}

const toWrite = (r: OutboxRow): ParkedWrite => ({
  id: Number(r.id), dedupeKey: r.dedupe_key, method: r.method, state: r.state, attempts: Number(r.attempts),
  lastError: r.last_error, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

/** LIKE with the user's text taken literally. */
function likeLiteral(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** What the console reads: call search, today's counts, a call's CRM writes, the parked outbox. */
export class ConsoleQueriesRepository implements CallLogSource, CallCounts, OutboxPort {
  private readonly outbox: OutboxRepository;

  constructor(private readonly db: Db) {
    this.outbox = new OutboxRepository(db);
  }

  async search(s: CallSearch): Promise<StoredCall[]> {
    let q = this.db<CallRow>('calls').orderBy('started_at', 'desc').orderBy('id').limit(s.limit);
    if (s.from !== undefined) q = q.where('started_at', '>=', s.from);
    if (s.to !== undefined) q = q.where('started_at', '<', s.to);
    if (s.numberDigits && s.numberDigits.length > 0) {
      const patterns = s.numberDigits.map(likeLiteral);
      q = q.where((w) => {
        for (const p of patterns) w.orWhereRaw("number like ? escape '\\'", [p]).orWhereRaw("number_e164 like ? escape '\\'", [p]);
      });
    }
    if (s.user) q = q.where((w) => w.where('user_id', s.user!).orWhere('extension', s.user!));
    if (s.outcome === 'refused') q = q.whereNotNull('refusal_code');
    else if (s.outcome) q = q.where('status_code', s.outcome);
    return (await q).map(toStoredCall);
  }

  async find(key: string): Promise<StoredCall | null> {
    const row = await this.db<CallRow>('calls')
      .where('id', key).orWhere('crm_call_id', key).orWhere('channel_id', key).orWhere('linkedid', key)
      .orderBy('started_at', 'desc').first();
    return row ? toStoredCall(row) : null;
  }

  async attempts(callId: string): Promise<CallAttemptRecord[]> {
    const rows = await this.db<AttemptRow>('call_attempts').where({ call_id: callId }).orderBy('attempt_no');
    return rows.map(toAttempt);
  }

  async crmWrites(keys: readonly string[]): Promise<CrmWrite[]> {
    if (keys.length === 0) return [];
    const rows = await this.db<OutboxRow>('crm_outbox').whereIn('dedupe_key', keys).orderBy('id');
    return rows.map(toWrite);
  }

  async countSince(from: number): Promise<CallCountRow[]> {
    const rows = await this.db('calls')
      .where('started_at', '>=', from)
      .select('status_code', 'refusal_code', 'state', 'trunk_id', 'user_id')
      .count({ n: '*' })
      .groupBy('status_code', 'refusal_code', 'state', 'trunk_id', 'user_id') as {
        status_code: string | null; refusal_code: string | null; state: string; trunk_id: string | null; user_id: string | null; n: number | string;
      }[];
    return rows.map((r) => ({
      outcome: r.status_code ?? (r.refusal_code ? 'refused' : r.state === 'ended' || r.state === 'stopped' ? 'unknown' : 'in progress'),
      trunkId: r.trunk_id,
      userId: r.user_id,
      calls: Number(r.n),
    }));
  }

  counts(): Promise<Readonly<Record<string, number>>> {
    return this.outbox.counts();
  }

  async parked(limit: number): Promise<ParkedWrite[]> {
    const rows = await this.db<OutboxRow>('crm_outbox').where({ state: 'parked' }).orderBy('id').limit(limit);
    return rows.map(toWrite);
  }

  retry(id: number, now: number): Promise<boolean> {
    return this.outbox.retry(id, now);
  }
}
