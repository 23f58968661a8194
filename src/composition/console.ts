import type { Router } from 'express';
import type { Db } from '../adapters/db/connection.ts';
import { ConsoleAccountsRepository, ConsoleAuditRepository } from '../adapters/db/repositories/console-repository.ts';
import { CallCostRepository } from '../adapters/db/repositories/call-cost-repository.ts';
import { ConsoleQueriesRepository } from '../adapters/db/repositories/console-queries-repository.ts';
import { createConsoleRouter } from '../adapters/http/console/router.ts';
import { tempUploadArea } from '../adapters/numbering-plan/upload-area.ts';
import { RULES_FILES } from '../adapters/rules/load.ts';
import { randomToken, scryptHasher } from '../adapters/security/password-hash.ts';
import { ConsoleAuth } from '../app/console/auth.ts';
import type { HealthCheck, NumberingPort, RulesVersionsPort, SavingsReport } from '../app/console/ports.ts';
import { PlanImports } from '../app/console/plan-imports.ts';
import { ConsoleService } from '../app/console/service.ts';
import { importPlan } from '../app/numbering/import-plan.ts';
import type { CarrierIndexStore } from '../app/numbering/carrier-index-store.ts';
import { planHistory, rollbackPlan } from '../app/numbering/plan-history.ts';
import { buildSavingsViews } from '../app/savings/build-views.ts';
import type { CompiledRules } from '../core/rules/compile.ts';
import { DEFAULT_SIGN_IN_LIMITS, SignInThrottle, type SignInLimits } from '../core/security/sign-in-throttle.ts';
import type { CarrierMapping } from '../core/numbering/carrier-mapping.ts';
import type { HealthSnapshot } from '../core/health/snapshot.ts';
import type { ActiveAlert, AlertInput } from '../core/alerts/alerts.ts';
import { normalizePhone, type NormalizeOptions } from '../core/phone/normalize.ts';
import type { EffectiveRules } from './effective-rules.ts';
import type { StoredRules } from './stored-rules.ts';

export interface ConsoleParts {
  readonly db: Db;
  readonly rules: EffectiveRules;
  readonly carriers: CarrierIndexStore;
  readonly storedRules: StoredRules;
  /** Switches this instance to the newest stored rules version now. */
  readonly useNewestRules: () => Promise<void>;
  readonly health?: { snapshot(): HealthSnapshot };
  readonly checks: readonly HealthCheck[];
  /** The savings report, when this build has one. */
  readonly savings?: SavingsReport;
  /** Plan imports from the console: the carrier mapping for the summary, and the shrink guard (0–1). */
  readonly planImport: { readonly loadMapping: () => CarrierMapping | Promise<CarrierMapping>; readonly maxShrink: number };
  /** Lower scrypt cost (tests only). */
  readonly hashCost?: { readonly N?: number };
  readonly sessionHours?: number;
  /** Failed sign-ins allowed per account and per address (DEFAULT_SIGN_IN_LIMITS when absent). */
  readonly signInLimits?: SignInLimits;
  readonly now?: () => number;
  /** The admin alerts: shown on the dashboard, told of refused plan imports. */
  readonly alerts?: { active(): Promise<readonly ActiveAlert[]>; raise(input: AlertInput): void };
}

const KNOWN_FILES = new Set(Object.values(RULES_FILES));

function unknownFiles(files: Readonly<Record<string, string>>): string[] {
  return Object.keys(files).filter((f) => !KNOWN_FILES.has(f)).map((f) => `${f}: not a rules file (known: ${[...KNOWN_FILES].join(', ')})`);
}

/** The rules versions as the console sees them: the same checks as `route check-rules`. */
function rulesVersionsPort(p: ConsoleParts): RulesVersionsPort {
  const versions = p.storedRules.versions;
  return {
    newest: () => versions.newest(),
    get: (v) => versions.get(v),
    history: (limit) => versions.list(limit),
    check(files) {
      const unknown = unknownFiles(files);
      const r = p.storedRules.checkFiles(files, 'console edit');
      if (unknown.length > 0) return { ok: false, errors: [...unknown, ...(r.ok ? [] : r.errors)], warnings: r.warnings };
      return r.ok ? { ok: true, warnings: r.warnings } : r;
    },
    async store(files, source) {
      const unknown = unknownFiles(files);
      if (unknown.length > 0) return { ok: false, errors: unknown, warnings: [] };
      return p.storedRules.importFiles(files, source);
    },
    rollback: (v) => p.storedRules.rollback(v),
    useNewest: p.useNewestRules,
  };
}

function numberingPort(p: ConsoleParts): NumberingPort {
  return {
    history: () => planHistory(p.db),
    async rollback() {
      const r = await rollbackPlan(p.db);
      await p.carriers.reload();
      return { from: r.from.id, to: r.to.id };
    },
    async importFiles(files, o) {
      const summary = await importPlan({
        db: p.db, files: files.map((f) => f.path), names: files.map((f) => f.name), mapping: await p.planImport.loadMapping(), now: (p.now ?? Date.now)(),
        onProgress: o.onProgress, maxShrink: p.planImport.maxShrink, force: o.force,
      });
      await p.carriers.reload();
      return { version: summary.version.id, rows: summary.rows, numbers: summary.numbers, forced: summary.forced };
    },
    lookup(number) {
      const parsed = normalizePhone(number, { defaultCountry: p.rules.current().defaultCountry as NormalizeOptions['defaultCountry'] });
      if (!parsed.ok) return { ok: false, message: parsed.message };
      const c = p.carriers.current().lookup(parsed.number.digits);
      return { ok: true, e164: parsed.number.e164, carrier: c.key ?? c.operator ?? 'unknown', region: c.region };
    },
  };
}

/** Builds the console's repositories, use cases and router (mounted at /console by the connector). */
export function buildConsole(p: ConsoleParts): { readonly router: Router; readonly service: ConsoleService; readonly auth: ConsoleAuth } {
  const now = p.now ?? Date.now;
  const accounts = new ConsoleAccountsRepository(p.db);
  const audit = new ConsoleAuditRepository(p.db);
  const queries = new ConsoleQueriesRepository(p.db);
  const sessionMs = (p.sessionHours ?? 12) * 3_600_000;
  const throttle = new SignInThrottle(p.signInLimits ?? DEFAULT_SIGN_IN_LIMITS);
  const auth = new ConsoleAuth({ accounts, sessions: accounts, audit, hasher: scryptHasher(p.hashCost), token: randomToken, now, sessionMs, throttle });
  const numbering = numberingPort(p);
  const alerts = p.alerts;
  const planImports = new PlanImports({
    numbering, uploads: tempUploadArea(), audit, token: randomToken, now,
    ...(alerts ? { onRefused: (files: readonly string[], message: string) => alerts.raise({ kind: 'import-refused', subject: '', message: `numbering-plan import of ${files.join(', ')} refused: ${message}` }) } : {}),
  });
  const service = new ConsoleService({
    rules: p.rules, carriers: p.carriers, ...(p.health ? { health: p.health } : {}),
    callLog: queries, counts: queries, outbox: queries, checks: p.checks,
    rulesVersions: rulesVersionsPort(p), numbering, planImports, audit,
    savings: p.savings ?? null, now,
    ...(alerts ? { alerts } : {}),
  });
  const router = createConsoleRouter({ auth, service, timeZone: () => p.rules.current().timezone, sessionMs, token: randomToken });
  return { router, service, auth };
}

/** The savings report as the console's page asks for it, over the calls in this database and the rules in force. */
export function consoleSavings(db: Db, rules: () => CompiledRules): SavingsReport {
  const source = new CallCostRepository(db);
  return { report: (q) => buildSavingsViews({ source, rules }, q.from, q.to, q.by) };
}

/** `b24pbx console add-user`: creates an account or resets its password and role. */
export async function saveConsoleUser(db: Db, user: { readonly name: string; readonly role: 'admin' | 'viewer'; readonly password: string }, hashCost?: { readonly N?: number }): Promise<'created' | 'updated'> {
  const passwordHash = await scryptHasher(hashCost).hash(user.password);
  const now = Date.now();
  const result = await new ConsoleAccountsRepository(db).saveUser({ name: user.name, role: user.role, passwordHash }, now);
  await new ConsoleAuditRepository(db).record({ at: now, userName: 'cli', action: result === 'created' ? 'user-add' : 'user-update', target: user.name, detail: `role ${user.role}` });
  return result;
}
