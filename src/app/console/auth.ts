import { createHash } from 'node:crypto';
import type { SignInThrottle } from '../../core/security/sign-in-throttle.ts';
import type { AuditLog, ConsoleAccounts, ConsoleSessions, ConsoleUser, PasswordHasher, TokenSource } from './ports.ts';

export interface ConsoleAuthDeps {
  readonly accounts: ConsoleAccounts;
  readonly sessions: ConsoleSessions;
  readonly audit: AuditLog;
  readonly hasher: PasswordHasher;
  readonly token: TokenSource;
  readonly now: () => number;
  /** How long a session lives from sign-in. */
  readonly sessionMs: number;
  /** Failed sign-ins per account and per address; none = unlimited (tests of other things). */
  readonly throttle?: SignInThrottle;
}

export type SignInResult =
  | ({ readonly ok: true } & SignedIn)
  | { readonly ok: false; readonly reason: 'wrong' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly by: 'account' | 'ip'; readonly retryAfterMs: number };

export interface SignedIn {
  readonly token: string;
  readonly csrfToken: string;
  readonly user: ConsoleUser;
}

export interface LiveSession {
  readonly user: ConsoleUser;
  readonly csrfToken: string;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Sign-in, sessions and sign-out of the console. A wrong name and a wrong password look the same
 * and take the same time (an unknown name is checked against a throwaway hash); both are audited.
 */
export class ConsoleAuth {
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly d: ConsoleAuthDeps) {}

  /** `ip` is the client's address as the HTTP layer trusts it (proxies per TRUST_PROXY). */
  async signIn(name: string, password: string, ip: string): Promise<SignInResult> {
    const verdict = this.d.throttle?.check(name, ip, this.d.now());
    if (verdict && !verdict.allowed) {
      await this.d.audit.record({ at: this.d.now(), userName: name.slice(0, 64), action: 'sign-in-throttled', target: null, detail: `${verdict.by === 'ip' ? `address ${ip}` : 'account'}: too many failed sign-ins` });
      return { ok: false, reason: 'throttled', by: verdict.by, retryAfterMs: verdict.retryAfterMs };
    }
    const user = await this.d.accounts.findUser(name);
    this.dummyHash ??= this.d.hasher.hash('not a password of anyone');
    const ok = await this.d.hasher.verify(user?.passwordHash ?? await this.dummyHash, password);
    const now = this.d.now();
    if (!user || !ok) {
      this.d.throttle?.failed(name, ip, now);
      await this.d.audit.record({ at: now, userName: name.slice(0, 64), action: 'sign-in-failed', target: null, detail: `from ${ip}` });
      return { ok: false, reason: 'wrong' };
    }
    this.d.throttle?.succeeded(name);
    const token = this.d.token();
    const csrfToken = this.d.token();
    await this.d.sessions.create({ tokenHash: tokenHash(token), userName: user.name, csrfToken, createdAt: now, expiresAt: now + this.d.sessionMs });
    await this.d.audit.record({ at: now, userName: user.name, action: 'sign-in', target: null, detail: null });
    // Sign-in is a good moment to forget sessions that ran out.
    await this.d.sessions.removeExpired(now);
    return { ok: true, token, csrfToken, user: { name: user.name, role: user.role } };
  }

  async session(token: string | undefined): Promise<LiveSession | null> {
    if (!token) return null;
    return this.d.sessions.find(tokenHash(token), this.d.now());
  }

  async signOut(token: string, user: ConsoleUser): Promise<void> {
    await this.d.sessions.remove(tokenHash(token));
    await this.d.audit.record({ at: this.d.now(), userName: user.name, action: 'sign-out', target: null, detail: null });
  }
}
