import type {
  AuditEntry, AuditLog, ConsoleAccounts, ConsoleRole, ConsoleSessions, ConsoleUser, NewSession, StoredConsoleUser,
} from '../../../app/console/ports.ts';
import type { Db } from '../connection.ts';

interface UserRow {
  name: string;
  role: string;
  password_hash: string;
}

interface AuditRow {
  at: number | string;
  user_name: string;
  action: string;
  target: string | null;
  detail: string | null;
}

const role = (r: string): ConsoleRole => (r === 'admin' ? 'admin' : 'viewer');

/** Console accounts and their sessions, on SQLite or PostgreSQL. */
export class ConsoleAccountsRepository implements ConsoleAccounts, ConsoleSessions {
  constructor(private readonly db: Db) {}

  async findUser(name: string): Promise<StoredConsoleUser | null> {
    const row = await this.db<UserRow>('console_users').where({ name }).first();
    return row ? { name: row.name, role: role(row.role), passwordHash: row.password_hash } : null;
  }

  async saveUser(user: StoredConsoleUser, now: number): Promise<'created' | 'updated'> {
    return this.db.transaction(async (trx) => {
      const updated = await trx('console_users').where({ name: user.name }).update({ role: user.role, password_hash: user.passwordHash, updated_at: now });
      if (updated > 0) {
        // A new password ends the account's open sessions.
        await trx('console_sessions').where({ user_name: user.name }).delete();
        return 'updated';
      }
      await trx('console_users').insert({ name: user.name, role: user.role, password_hash: user.passwordHash, created_at: now, updated_at: now });
      return 'created';
    });
  }

  async listUsers(): Promise<ConsoleUser[]> {
    const rows = await this.db<UserRow>('console_users').orderBy('name').select('name', 'role');
    return rows.map((r) => ({ name: r.name, role: role(r.role) }));
  }

  async create(s: NewSession): Promise<void> {
    await this.db('console_sessions').insert({
      token_hash: s.tokenHash, user_name: s.userName, csrf_token: s.csrfToken, created_at: s.createdAt, expires_at: s.expiresAt,
    });
  }

  async find(tokenHash: string, now: number): Promise<{ readonly user: ConsoleUser; readonly csrfToken: string } | null> {
    const row = await this.db('console_sessions as s')
      .join('console_users as u', 'u.name', 's.user_name')
      .where('s.token_hash', tokenHash)
      .andWhere('s.expires_at', '>', now)
      .first('u.name as name', 'u.role as role', 's.csrf_token as csrf') as { name: string; role: string; csrf: string } | undefined;
    return row ? { user: { name: row.name, role: role(row.role) }, csrfToken: row.csrf } : null;
  }

  async remove(tokenHash: string): Promise<void> {
    await this.db('console_sessions').where({ token_hash: tokenHash }).delete();
  }

  async removeExpired(now: number): Promise<number> {
    return this.db('console_sessions').where('expires_at', '<=', now).delete();
  }
}

/** The console's audit log. */
export class ConsoleAuditRepository implements AuditLog {
  constructor(private readonly db: Db) {}

  async record(e: AuditEntry): Promise<void> {
    await this.db('console_audit').insert({ at: e.at, user_name: e.userName, action: e.action, target: e.target, detail: e.detail });
  }

  async list(limit: number): Promise<AuditEntry[]> {
    const rows = await this.db<AuditRow>('console_audit').orderBy('id', 'desc').limit(limit);
    return rows.map((r) => ({ at: Number(r.at), userName: r.user_name, action: r.action, target: r.target, detail: r.detail }));
  }
}
