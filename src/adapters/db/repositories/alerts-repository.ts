import type { AlertStore } from '../../../app/alerts/alerts.ts';
import type { AlertKind, StoredAlert } from '../../../core/alerts/alerts.ts';
import { isSqlite, type Db } from '../connection.ts';

interface AlertRow {
  key: string;
  kind: string;
  subject: string;
  message: string;
  since: number | string;
  last_at: number | string;
  count: number | string;
  notified_at: number | string | null;
  cleared_at: number | string | null;
}

const orNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(r: AlertRow): StoredAlert {
  return {
    key: r.key, kind: r.kind as AlertKind, subject: r.subject, message: r.message,
    since: Number(r.since), lastAt: Number(r.last_at), count: Number(r.count),
    notifiedAt: orNull(r.notified_at), clearedAt: orNull(r.cleared_at),
  };
}

function toRow(a: StoredAlert): Omit<AlertRow, 'key'> {
  return {
    kind: a.kind, subject: a.subject, message: a.message, since: a.since, last_at: a.lastAt, count: a.count,
    notified_at: a.notifiedAt, cleared_at: a.clearedAt,
  };
}

/** PostgreSQL's unique violation: another instance inserted the same alert first. */
const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/**
 * The `admin_alerts` rows. A change reads the row locked (`FOR UPDATE` on PostgreSQL; SQLite runs
 * one writer at a time) and writes what the caller made of it, in one transaction: two instances
 * raising or telling the same alert at once never lose a count nor send a notice twice.
 */
export class AlertsRepository implements AlertStore {
  constructor(private readonly db: Db) {}

  async change(key: string, change: (before: StoredAlert | null) => StoredAlert | null): Promise<StoredAlert | null> {
    // A first raise on two instances at once: one insert loses and is tried again over the winner's row.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.changeOnce(key, change);
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  async list(): Promise<StoredAlert[]> {
    return ((await this.db('admin_alerts').select('*').orderBy('key')) as AlertRow[]).map(fromRow);
  }

  private changeOnce(key: string, change: (before: StoredAlert | null) => StoredAlert | null): Promise<StoredAlert | null> {
    return this.db.transaction(async (trx) => {
      let q = trx('admin_alerts').select('*').where({ key });
      if (!isSqlite(this.db)) q = q.forUpdate();
      const row = (await q.first()) as AlertRow | undefined;
      const before = row ? fromRow(row) : null;
      const after = change(before);
      if (after === before) return before;
      if (after === null) await trx('admin_alerts').where({ key }).delete();
      else if (before === null) await trx('admin_alerts').insert({ key, ...toRow(after) });
      else await trx('admin_alerts').where({ key }).update(toRow(after));
      return after;
    });
  }
}
