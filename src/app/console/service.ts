import type { CarrierLookup } from '../../core/numbering/carrier.ts';
import { localMidnight } from '../../core/health/sim-limits.ts';
import { HEALTHY, type HealthSnapshot } from '../../core/health/snapshot.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CallOrigin } from '../../core/rules/model.ts';
import type { RouteDecision } from '../../core/routing/types.ts';
import { lineDiff, type DiffLine } from '../../core/text/line-diff.ts';
import type { CallAttemptRecord, StoredCall } from '../calls/call-record.ts';
import { explainRoute } from '../routing/route-call.ts';
import type { PlanImports } from './plan-imports.ts';
import { buildDashboard, type Dashboard } from './dashboard.ts';
import type { ActiveAlert } from '../../core/alerts/alerts.ts';
import type {
  AuditEntry, AuditLog, CallCounts, CallLogSource, CallSearch, ConsoleUser, CrmWrite, HealthCheck, NumberingPort, OutboxPort,
  ParkedWrite, PlanVersionView, RulesStoreResult, RulesVersionsPort, RulesVersionView, SavingsReport,
} from './ports.ts';

export interface ConsoleServiceDeps {
  readonly rules: { current(): CompiledRules; readonly version: number };
  readonly carriers: { current(): CarrierLookup };
  /** Trunks out of routes now; all healthy when absent. */
  readonly health?: { snapshot(): HealthSnapshot };
  /** The admin alerts active now (none shown when absent). */
  readonly alerts?: { active(): Promise<readonly ActiveAlert[]> };
  readonly callLog: CallLogSource;
  readonly counts: CallCounts;
  readonly outbox: OutboxPort;
  readonly checks: readonly HealthCheck[];
  readonly rulesVersions: RulesVersionsPort;
  readonly numbering: NumberingPort;
  readonly planImports: PlanImports;
  readonly audit: AuditLog;
  /** Absent until a savings report is wired in: the page then says so. */
  readonly savings: SavingsReport | null;
  readonly now: () => number;
}

export interface CallTrace {
  readonly call: StoredCall;
  readonly attempts: readonly CallAttemptRecord[];
  readonly crmWrites: readonly CrmWrite[];
}

export interface SimulateInput {
  readonly user: string | null;
  readonly extension: string | null;
  readonly number: string;
  readonly origin: CallOrigin;
  readonly line: string | null;
}

export interface RulesEditPreview {
  readonly check: ReturnType<RulesVersionsPort['check']>;
  readonly diff: readonly { readonly file: string; readonly lines: readonly DiffLine[] }[];
}

/** Thrown for a change the console refuses (bad input, nothing to do); the message is shown as is. */
export class ConsoleRefusal extends Error {}

/** The keys under which the CRM hand-off queues a call's writes (see app/crm/call-record-writes.ts). */
function crmWriteKeys(call: StoredCall): string[] {
  if (call.crmCallId !== null) return [`finish:${call.crmCallId}`, `attach:${call.crmCallId}`];
  const base = `desk:${call.linkedid ?? call.id}`;
  return [`${base}:register`, `${base}:finish`, `${base}:attach`];
}

async function checkAll(checks: readonly HealthCheck[]): Promise<{ name: string; ok: boolean }[]> {
  return Promise.all(checks.map(async (c) => ({ name: c.name, ok: await c.check().catch(() => false) })));
}

/**
 * What the web console can see and do, whatever serves it. Reads go through the same use cases
 * as the CLI (route explain, rules versions, plan history); every change is audited here, so no
 * page can forget to.
 */
export class ConsoleService {
  constructor(private readonly d: ConsoleServiceDeps) {}

  /** Plan uploads and their imports, polled by the numbering page. */
  get planImports(): PlanImports {
    return this.d.planImports;
  }

  get savings(): SavingsReport | null {
    return this.d.savings;
  }

  async dashboard(): Promise<Dashboard> {
    const rules = this.d.rules.current();
    const since = localMidnight(this.d.now(), rules.timezone);
    const [rows, outbox, checks, alerts] = await Promise.all([this.d.counts.countSince(since), this.d.outbox.counts(), checkAll(this.d.checks), this.d.alerts?.active() ?? []]);
    return buildDashboard({ since, rows, rules, rulesVersion: this.d.rules.version, health: this.d.health?.snapshot() ?? HEALTHY, outbox, checks, alerts });
  }

  /** `number` as an admin types it: any separators; a Russian trunk prefix 8 also matches as 7. */
  searchCalls(q: Omit<CallSearch, 'numberDigits'> & { readonly number?: string }): Promise<StoredCall[]> {
    const { number, ...rest } = q;
    const digits = (number ?? '').replace(/\D/g, '');
    if (digits === '') return this.d.callLog.search(rest);
    const numberDigits = digits.length > 1 && digits.startsWith('8') ? [digits, `7${digits.slice(1)}`] : [digits];
    return this.d.callLog.search({ ...rest, numberDigits });
  }

  async callTrace(key: string): Promise<CallTrace | null> {
    const call = await this.d.callLog.find(key);
    if (!call) return null;
    const [attempts, crmWrites] = await Promise.all([this.d.callLog.attempts(call.id), this.d.callLog.crmWrites(crmWriteKeys(call))]);
    return { call, attempts, crmWrites };
  }

  /** The same decision and trace as `route explain`, with the rules and trunk health in force now. */
  simulate(input: SimulateInput): RouteDecision {
    const health = this.d.health;
    return explainRoute(
      { rules: this.d.rules, carriers: this.d.carriers },
      { ...input, ...(health ? { health: health.snapshot() } : {}) },
    );
  }

  lookupNumber(number: string): ReturnType<NumberingPort['lookup']> {
    return this.d.numbering.lookup(number);
  }

  planHistory(): Promise<PlanVersionView[]> {
    return this.d.numbering.history();
  }

  async rollbackPlan(by: ConsoleUser): Promise<{ from: number; to: number }> {
    let result: { from: number; to: number };
    try {
      result = await this.d.numbering.rollback();
    } catch (err) {
      throw new ConsoleRefusal((err as Error).message);
    }
    await this.audit(by, 'plan-rollback', `plan v${result.from}`, `active plan is now v${result.to}`);
    return result;
  }

  rulesNewest(): ReturnType<RulesVersionsPort['newest']> {
    return this.d.rulesVersions.newest();
  }

  rulesVersion(version: number): ReturnType<RulesVersionsPort['get']> {
    return this.d.rulesVersions.get(version);
  }

  rulesHistory(limit = 50): Promise<RulesVersionView[]> {
    return this.d.rulesVersions.history(limit);
  }

  /** Checks an edit and shows what it changes against the version in use; stores nothing. */
  async previewRules(files: Readonly<Record<string, string>>): Promise<RulesEditPreview> {
    const newest = await this.d.rulesVersions.newest();
    const before = newest?.files ?? {};
    const names = [...new Set([...Object.keys(before), ...Object.keys(files)])].sort();
    const diff = names
      .filter((f) => (before[f] ?? '') !== (files[f] ?? ''))
      .map((file) => ({ file, lines: lineDiff(before[file] ?? '', files[file] ?? '') }));
    return { check: this.d.rulesVersions.check(files), diff };
  }

  /** Stores an edit as the newest rules version after the same checks as `route check-rules`. */
  async saveRules(files: Readonly<Record<string, string>>, by: ConsoleUser): Promise<RulesStoreResult> {
    const result = await this.d.rulesVersions.store(files, `console: ${by.name}`);
    if (result.ok && result.changed) {
      await this.audit(by, 'rules-edit', `rules v${result.version}`, `files: ${Object.keys(files).sort().join(', ')}`);
      await this.d.rulesVersions.useNewest();
    }
    return result;
  }

  async rollbackRules(version: number, by: ConsoleUser): Promise<RulesStoreResult> {
    const result = await this.d.rulesVersions.rollback(version);
    if (result.ok) {
      await this.audit(by, 'rules-rollback', `rules v${version}`, `stored as v${result.version}`);
      await this.d.rulesVersions.useNewest();
    }
    return result;
  }

  outboxCounts(): Promise<Readonly<Record<string, number>>> {
    return this.d.outbox.counts();
  }

  parkedWrites(limit = 200): Promise<ParkedWrite[]> {
    return this.d.outbox.parked(limit);
  }

  async retryWrite(id: number, by: ConsoleUser): Promise<boolean> {
    const ok = await this.d.outbox.retry(id, this.d.now());
    if (ok) await this.audit(by, 'outbox-retry', `outbox #${id}`, null);
    return ok;
  }

  auditLog(limit = 200): Promise<AuditEntry[]> {
    return this.d.audit.list(limit);
  }

  private audit(by: ConsoleUser, action: string, target: string | null, detail: string | null): Promise<void> {
    return this.d.audit.record({ at: this.d.now(), userName: by.name, action, target, detail });
  }
}
