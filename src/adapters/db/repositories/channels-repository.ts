import type { ChannelStore } from '../../../app/calls/ports.ts';
import { isSqlite, type Db } from '../connection.ts';
import { urgently } from '../priority-lane.ts';

/** pg answers `{ rows }` for a raw statement, sqlite3 the rows themselves. */
const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

/**
 * Trunk channels in use, counted from the stored attempts (same SQL on SQLite and PostgreSQL), and
 * the claims on trunks' last free channels. Claim expiries are in the database's clock, so
 * instances with skewed clocks agree on them.
 */
export class ChannelsRepository implements ChannelStore {
  private readonly nowSql: string;

  constructor(private readonly db: Db) {
    this.nowSql = isSqlite(db)
      ? `cast((julianday('now') - 2440587.5) * 86400000 as integer)`
      : `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
  }

  async busyByTrunk(since: number): Promise<Map<string, number>> {
    // A call being routed holds the trunk of its attempt not ended yet; `state <> 'ended'` lets
    // the open calls' partial index answer. The open calls first, then their attempts by call id:
    // written as a join, SQLite's planner (it keeps no statistics) walked every stored attempt.
    const rows = await this.db('call_attempts as a')
      .whereIn('a.call_id', (open) => open.select('c.id').from('calls as c')
        .where('c.state', 'routing')
        .andWhere('c.state', '<>', 'ended')
        .andWhere('c.started_at', '>=', since))
      .whereNull('a.ended_at')
      .whereNotNull('a.trunk_id')
      .groupBy('a.trunk_id')
      .select('a.trunk_id')
      .count({ n: '*' }) as { trunk_id: string; n: number | string }[];
    return new Map(rows.map((r) => [r.trunk_id, Number(r.n)]));
  }

  /**
   * One statement, atomic on both databases: a claim is taken when there is none, it expired, it
   * is the call's own, or its call no longer holds the channel (the call ended, or its attempt on
   * the trunk did — known even when the instance that claimed it stopped). `trunk_id || ''`
   * keeps SQLite's planner on the call's own attempts, not every attempt ever made on the trunk.
   */
  claimLast(trunkId: string, callId: string, holdMs: number): Promise<boolean> {
    return urgently(async () => {
      const result = await this.db.raw(
        `INSERT INTO channel_claims (trunk_id, call_id, expires_at) VALUES (?, ?, ${this.nowSql} + ?)
         ON CONFLICT (trunk_id) DO UPDATE SET call_id = excluded.call_id, expires_at = excluded.expires_at
         WHERE channel_claims.expires_at <= ${this.nowSql} OR channel_claims.call_id = excluded.call_id
           OR EXISTS (SELECT 1 FROM calls c WHERE c.id = channel_claims.call_id AND c.state IN ('stopped', 'ended'))
           OR EXISTS (SELECT 1 FROM call_attempts a WHERE a.call_id = channel_claims.call_id AND a.trunk_id || '' = channel_claims.trunk_id AND a.ended_at IS NOT NULL)
         RETURNING trunk_id`,
        [trunkId, callId, holdMs],
      ) as unknown;
      return rowsOf(result).length > 0;
    });
  }

  async holdClaim(trunkId: string, callId: string, holdMs: number): Promise<void> {
    await this.db('channel_claims').where({ trunk_id: trunkId, call_id: callId }).update({ expires_at: this.db.raw(`${this.nowSql} + ?`, [holdMs]) });
  }
}
