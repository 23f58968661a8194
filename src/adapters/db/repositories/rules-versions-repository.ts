import { isSqlite, type Db } from '../connection.ts';

export interface RulesVersion {
  readonly version: number;
  /** File name (`trunks.yaml`) → its YAML text. */
  readonly files: Readonly<Record<string, string>>;
  /** Where it came from: the imported directory, or `rollback to vN`. */
  readonly source: string;
  readonly createdAt: number;
}

interface Row {
  version: number | string;
  files: string;
  source: string;
  created_at: number | string;
}

/** PostgreSQL NOTIFY channel: a new rules version was stored (payload: its number). */
export const RULES_CHANNEL = 'rules_changed';

const toVersion = (r: Row): RulesVersion => ({
  version: Number(r.version), files: JSON.parse(r.files) as Record<string, string>, source: r.source, createdAt: Number(r.created_at),
});

/** Every rules set ever imported, append-only; the highest version is the one in use. */
export class RulesVersionsRepository {
  constructor(private readonly db: Db) {}

  async newestVersion(): Promise<number | null> {
    const row = (await this.db('rules_versions').max({ v: 'version' }).first()) as { v: number | string | null } | undefined;
    return row?.v === null || row?.v === undefined ? null : Number(row.v);
  }

  async get(version: number): Promise<RulesVersion | null> {
    const row = await this.db<Row>('rules_versions').where({ version }).first();
    return row ? toVersion(row) : null;
  }

  async newest(): Promise<RulesVersion | null> {
    const row = await this.db<Row>('rules_versions').orderBy('version', 'desc').first();
    return row ? toVersion(row) : null;
  }

  async list(limit: number): Promise<Omit<RulesVersion, 'files'>[]> {
    const rows = await this.db<Row>('rules_versions').orderBy('version', 'desc').limit(limit).select('version', 'source', 'created_at');
    return rows.map((r) => ({ version: Number(r.version), source: r.source, createdAt: Number(r.created_at) }));
  }

  /**
   * Stores a new version (the next number; two concurrent adds collide on the key and one fails)
   * and, on PostgreSQL, notifies every instance when it commits.
   */
  async add(files: Readonly<Record<string, string>>, source: string, now: number): Promise<number> {
    return this.db.transaction(async (trx) => {
      const row = (await trx('rules_versions').max({ v: 'version' }).first()) as { v: number | string | null } | undefined;
      const version = Number(row?.v ?? 0) + 1;
      await trx('rules_versions').insert({ version, files: JSON.stringify(files), source: source.slice(0, 500), created_at: now });
      if (!isSqlite(this.db)) await trx.raw('select pg_notify(?, ?)', [RULES_CHANNEL, String(version)]);
      return version;
    });
  }
}
