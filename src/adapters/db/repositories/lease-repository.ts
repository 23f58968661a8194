import type { Knex } from 'knex';
import { LeaseLostError, type LeaseStore } from '../../../app/leadership/leadership.ts';
import { isSqlite, type Db } from '../connection.ts';

interface LeaseRow {
  holder: string;
  term: number | string;
  expires_at: number | string;
  db_now: number | string;
}

/**
 * The lease rows. Time is the database's clock in milliseconds, so instances with skewed clocks
 * never disagree about an expiry. On PostgreSQL a claim locks the row (`FOR UPDATE`) and a fenced
 * write locks it too: a takeover waits for a fenced transaction in flight, then bumps the term,
 * and every later write of the old term is refused.
 */
export class LeaseRepository implements LeaseStore {
  private readonly nowSql: string;

  constructor(private readonly db: Db) {
    this.nowSql = isSqlite(db)
      ? `cast((julianday('now') - 2440587.5) * 86400000 as integer)`
      : `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
  }

  async claim(name: string, holder: string, ttlMs: number, takeOver = false): Promise<number | null> {
    await this.db('leader_lease').insert({ name, holder: '', term: 0, expires_at: 0 }).onConflict('name').ignore();
    return this.db.transaction(async (trx) => {
      let q = trx('leader_lease').select('holder', 'term', 'expires_at', trx.raw(`${this.nowSql} as db_now`)).where({ name });
      if (!isSqlite(this.db)) q = q.forUpdate();
      const row = (await q.first()) as LeaseRow | undefined;
      if (!row) throw new Error(`lease row "${name}" is missing`);
      const now = Number(row.db_now);
      const running = Number(row.expires_at) > now;
      const ours = running && row.holder === holder;
      if (running && !ours && !takeOver) return null;
      // Renewed while running keeps the term; anything else (first claim, takeover, our own lapsed lease) is a new term.
      const term = ours ? Number(row.term) : Number(row.term) + 1;
      await trx('leader_lease').where({ name }).update({ holder, term, expires_at: now + ttlMs });
      return term;
    });
  }

  async release(name: string, holder: string, term: number): Promise<void> {
    await this.db('leader_lease').where({ name, holder, term }).update({ expires_at: 0 });
  }

  async check(name: string, holder: string, term: number): Promise<void> {
    await this.fence(this.db, name, holder, term);
  }

  /**
   * The fencing check inside the caller's transaction: a no-op update that matches only while
   * (holder, term) holds an unexpired lease; it also locks the row until the transaction ends.
   */
  async fence(trx: Knex | Knex.Transaction, name: string, holder: string, term: number): Promise<void> {
    const n = await trx('leader_lease').where({ name, holder, term }).andWhere('expires_at', '>', trx.raw(this.nowSql)).update({ term });
    if (Number(n) !== 1) throw new LeaseLostError(name, term);
  }
}
