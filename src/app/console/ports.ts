import type { SavingsGroupBy } from '../../core/savings/types.ts';
import type { CallAttemptRecord, StoredCall } from '../calls/call-record.ts';
import type { SavingsViews } from '../savings/build-views.ts';

export type { SavingsViews };

/** admin changes things; viewer only reads. */
export type ConsoleRole = 'admin' | 'viewer';
export const CONSOLE_ROLES: readonly ConsoleRole[] = ['admin', 'viewer'];

export interface ConsoleUser {
  readonly name: string;
  readonly role: ConsoleRole;
}

export interface StoredConsoleUser extends ConsoleUser {
  readonly passwordHash: string;
}

/** Console accounts, stored in the database (created with `b24pbx console add-user`). */
export interface ConsoleAccounts {
  findUser(name: string): Promise<StoredConsoleUser | null>;
  /** Creates the account, or sets a new password and role on an existing one. */
  saveUser(user: StoredConsoleUser, now: number): Promise<'created' | 'updated'>;
  listUsers(): Promise<ConsoleUser[]>;
}

export interface NewSession {
  /** SHA-256 of the cookie token: a leaked database row is not a usable cookie. */
  readonly tokenHash: string;
  readonly userName: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface ConsoleSessions {
  create(session: NewSession): Promise<void>;
  /** The live session of this token hash (expired ones are not returned). */
  find(tokenHash: string, now: number): Promise<{ readonly user: ConsoleUser; readonly csrfToken: string } | null>;
  remove(tokenHash: string): Promise<void>;
  removeExpired(now: number): Promise<number>;
}

export interface AuditEntry {
  readonly at: number;
  readonly userName: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: string | null;
}

/** Every change made through the console: who, when, what. Append-only. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  list(limit: number): Promise<AuditEntry[]>;
}

/** A slow salted password hash (scrypt) and its constant-time check. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(stored: string, password: string): Promise<boolean>;
}

/** A fresh unguessable token (session cookie, CSRF token). */
export type TokenSource = () => string;

/** What the call log searches by; every field optional. */
export interface CallSearch {
  /** Digit runs: a call matches when its number (as dialled or E.164) contains any of them. */
  readonly numberDigits?: readonly string[];
  /** Bitrix24 user id or extension. */
  readonly user?: string;
  /** Started at or after / before, epoch ms. */
  readonly from?: number;
  readonly to?: number;
  /** A STATUS_CODE (200, 486, …) or `refused`. */
  readonly outcome?: string;
  readonly limit: number;
}

/** One CRM write of a call, as queued in the outbox. */
export interface CrmWrite {
  readonly id: number;
  readonly method: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface CallLogSource {
  search(query: CallSearch): Promise<StoredCall[]>;
  find(key: string): Promise<StoredCall | null>;
  attempts(callId: string): Promise<CallAttemptRecord[]>;
  /** Outbox entries by their dedupe keys. */
  crmWrites(keys: readonly string[]): Promise<CrmWrite[]>;
}

/** Calls started since a moment, counted per outcome, trunk and user. */
export interface CallCountRow {
  readonly outcome: string;
  readonly trunkId: string | null;
  readonly userId: string | null;
  readonly calls: number;
}

export interface CallCounts {
  countSince(from: number): Promise<CallCountRow[]>;
}

export interface ParkedWrite extends CrmWrite {
  readonly dedupeKey: string;
}

export interface OutboxPort {
  counts(): Promise<Readonly<Record<string, number>>>;
  parked(limit: number): Promise<ParkedWrite[]>;
  /** Makes a parked entry pending again; false when it is not parked. */
  retry(id: number, now: number): Promise<boolean>;
}

/** A part the connector depends on, and whether it answers now. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<boolean>;
}

/**
 * The savings report (what routing saved against each department's default trunk, and advice),
 * grouped as asked plus the views the page plots. The console shows the page only when the
 * composition root passes one in.
 */
export interface SavingsReport {
  report(query: { readonly from: number; readonly to: number; readonly by: SavingsGroupBy }): Promise<SavingsViews>;
}

/** One stored rules version (file name → YAML text). */
export interface RulesVersionView {
  readonly version: number;
  readonly source: string;
  readonly createdAt: number;
}

export type RulesCheck =
  | { readonly ok: true; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

export type RulesStoreResult =
  | { readonly ok: true; readonly version: number; readonly changed: boolean; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

/** The rules versions in the database; every instance follows the newest within seconds. */
export interface RulesVersionsPort {
  newest(): Promise<(RulesVersionView & { readonly files: Readonly<Record<string, string>> }) | null>;
  get(version: number): Promise<(RulesVersionView & { readonly files: Readonly<Record<string, string>> }) | null>;
  history(limit: number): Promise<RulesVersionView[]>;
  /** The checks of `route check-rules`, on texts instead of a directory. */
  check(files: Readonly<Record<string, string>>): RulesCheck;
  /** Checks and stores the files as the newest version (unchanged files store nothing). */
  store(files: Readonly<Record<string, string>>, source: string): Promise<RulesStoreResult>;
  rollback(version: number): Promise<RulesStoreResult>;
  /** Switches this instance to the newest version now (others follow on their own). */
  useNewest(): Promise<void>;
}

export interface PlanVersionView {
  readonly id: number;
  readonly importedAt: number;
  readonly files: readonly { readonly name: string; readonly rows: number }[];
  readonly rows: number;
  readonly numbers: number;
  readonly active: boolean;
}

/** The numbering plan: its import history, rollback, and a carrier lookup. */
export interface NumberingPort {
  history(): Promise<PlanVersionView[]>;
  /** Activates the previous version; throws with a clear message when there is none. */
  rollback(): Promise<{ readonly from: number; readonly to: number }>;
  /** Imports these files as one new plan version and switches to it; throws with a clear message when refused. */
  importFiles(files: readonly { readonly name: string; readonly path: string }[], o: { readonly force: boolean; onProgress(done: number, total: number): void }): Promise<{ readonly version: number; readonly rows: number; readonly numbers: number; readonly forced: string | null }>;
  lookup(number: string): { readonly ok: true; readonly e164: string; readonly carrier: string; readonly region: string | null } | { readonly ok: false; readonly message: string };
}
