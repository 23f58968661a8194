import type { Trial } from '../../../core/health/breaker.ts';
import type { SimUsage } from '../../../core/health/sim-limits.ts';
import type { FailureRow, TrunkHealthStore } from '../../../app/trunks/ports.ts';
import type { Db } from '../connection.ts';
import { urgently } from '../priority-lane.ts';

/** PostgreSQL returns bigint and SUM/COUNT as strings; SQLite as numbers. */
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/**
 * Trunk health counted from the stored attempts and calls (same SQL on SQLite and PostgreSQL).
 * Every instance reads the same rows, so they agree within one refresh.
 */
export class TrunkHealthRepository implements TrunkHealthStore {
  constructor(private readonly db: Db) {}

  async failuresSince(since: number): Promise<FailureRow[]> {
    const rows = await this.db('call_attempts')
      .select('trunk_id', 'ended_at', 'hangup_cause')
      .where('decision', 'rotate')
      .andWhere('ended_at', '>=', since)
      .whereNotNull('trunk_id')
      .orderBy('ended_at', 'asc') as { trunk_id: string; ended_at: unknown; hangup_cause: unknown }[];
    return rows.map((r) => ({ trunkId: r.trunk_id, at: num(r.ended_at), cause: num(r.hangup_cause) }));
  }

  async firstAttemptFrom(trunkId: string, from: number): Promise<Trial | null> {
    const row = await this.db('call_attempts')
      .select('started_at', 'ended_at', 'decision')
      .where('trunk_id', trunkId)
      .andWhere('started_at', '>=', from)
      .orderBy('started_at', 'asc')
      .first() as { started_at: unknown; ended_at: unknown; decision: string | null } | undefined;
    if (!row) return null;
    return {
      startedAt: num(row.started_at),
      endedAt: row.ended_at === null ? null : num(row.ended_at),
      failed: row.decision === null ? null : row.decision === 'rotate',
    };
  }

  async simUsage(trunkIds: readonly string[], at: { readonly hourFrom: number; readonly dayFrom: number }): Promise<Map<string, SimUsage>> {
    const out = new Map<string, SimUsage>();
    if (trunkIds.length === 0) return out;
    const ids = [...trunkIds];
    const dayOrHour = Math.min(at.hourFrom, at.dayFrom);
    const [attempts, minutes, gaps] = await Promise.all([
      this.db('call_attempts')
        .select('trunk_id')
        .select(this.db.raw('SUM(CASE WHEN started_at >= ? THEN 1 ELSE 0 END) AS hour', [at.hourFrom]))
        .select(this.db.raw('SUM(CASE WHEN started_at >= ? THEN 1 ELSE 0 END) AS day', [at.dayFrom]))
        .select(this.db.raw('MIN(CASE WHEN started_at >= ? THEN started_at END) AS oldest', [at.hourFrom]))
        .whereIn('trunk_id', ids)
        .andWhere('started_at', '>=', dayOrHour)
        .groupBy('trunk_id') as Promise<{ trunk_id: string; hour: unknown; day: unknown; oldest: unknown }[]>,
      // Carriers bill started minutes: a 61 s call is 2 minutes of the SIM's allowance.
      this.db('calls')
        .select('trunk_id')
        .select(this.db.raw('SUM((duration_sec + 59) / 60) AS minutes'))
        .whereIn('trunk_id', ids)
        .andWhere('ended_at', '>=', at.dayFrom)
        .groupBy('trunk_id') as Promise<{ trunk_id: string; minutes: unknown }[]>,
      this.db('sim_gaps').select('trunk_id', 'last_start_at').whereIn('trunk_id', ids) as Promise<{ trunk_id: string; last_start_at: unknown }[]>,
    ]);
    const minutesOf = new Map(minutes.map((m) => [m.trunk_id, num(m.minutes)]));
    const lastOf = new Map(gaps.map((g) => [g.trunk_id, num(g.last_start_at)]));
    const attemptsOf = new Map(attempts.map((a) => [a.trunk_id, a]));
    for (const id of ids) {
      const a = attemptsOf.get(id);
      out.set(id, {
        callsLastHour: num(a?.hour),
        oldestInHourAt: a?.oldest === null || a?.oldest === undefined ? null : num(a.oldest),
        callsToday: num(a?.day),
        minutesToday: minutesOf.get(id) ?? 0,
        lastStartAt: lastOf.has(id) ? (lastOf.get(id) as number) : null,
      });
    }
    return out;
  }

  /** One statement, atomic on both databases: the row changes only when the gap has passed. */
  reserveGap(trunkId: string, now: number, gapMs: number): Promise<boolean> {
    return urgently(async () => {
      const rows = await this.db.raw(
        `INSERT INTO sim_gaps (trunk_id, last_start_at) VALUES (?, ?)
         ON CONFLICT (trunk_id) DO UPDATE SET last_start_at = excluded.last_start_at
         WHERE sim_gaps.last_start_at <= ?
         RETURNING trunk_id`,
        [trunkId, now, now - gapMs],
      ) as unknown;
      // pg answers { rows: [...] }, sqlite3 the rows themselves.
      const list = Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows;
      return list.length > 0;
    });
  }
}
