import type { Command } from 'commander';
import { loadEnv, type Env } from '../../../config/env.ts';
import { explainRoute } from '../../../app/routing/route-call.ts';
import { decisionToJson, decisionToText } from '../../../app/routing/render-decision.ts';
import { CarrierIndexStore } from '../../../app/numbering/carrier-index-store.ts';
import { UNKNOWN_CARRIER, type CarrierLookup } from '../../../core/numbering/carrier.ts';
import { planCodeOf } from '../../../core/numbering/carrier-index.ts';
import { normalizePhone, type NormalizeOptions } from '../../../core/phone/normalize.ts';
import { CALL_ORIGINS, type CallOrigin } from '../../../core/rules/model.ts';
import type { CompiledRules } from '../../../core/rules/compile.ts';
import { ensureMigrated, openDb, type Db } from '../../db/connection.ts';
import { loadCarrierMapping } from '../../numbering-plan/carriers-config.ts';
import { loadRules } from '../../rules/load.ts';
import { RulesLoadError, RulesStore } from '../../rules/store.ts';
import { StoredRules } from '../../../composition/stored-rules.ts';
import { CliFailure } from '../failure.ts';
import { TrunkHealth } from '../../../app/trunks/trunk-health.ts';
import { HEALTHY, type HealthSnapshot } from '../../../core/health/snapshot.ts';
import { TrunkHealthRepository } from '../../db/repositories/trunk-health-repository.ts';
import { silentLogger } from '../../logging/logger.ts';

export interface RouteExplainOptions {
  readonly user?: string;
  readonly extension?: string;
  /** A call on no employee's behalf (inbound forward, dialer): the department whose policy it takes. */
  readonly department?: string;
  readonly number?: string;
  readonly origin?: string;
  readonly line?: string;
  readonly json?: boolean;
}

/** What `route explain` needs from the outside; tests pass their own. */
export interface RouteCliDeps {
  readonly loadRules: (env: Readonly<Env>) => CompiledRules | Promise<CompiledRules>;
  /** The carrier index built from the database; `warning` when it could not be opened. */
  readonly openCarriers: (env: Readonly<Env>, codes?: readonly number[]) => Promise<{ readonly lookup: CarrierLookup; readonly warning?: string }>;
  /** Trunks out of routes now, counted from the database (breaker open, SIM limit). */
  readonly openHealth?: (env: Readonly<Env>, rules: CompiledRules) => Promise<HealthSnapshot>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const UNKNOWN_LOOKUP: CarrierLookup = { lookup: () => UNKNOWN_CARRIER };

/** A migrated database for one read, and what to do with it after (close it, or keep it for the next read). */
type OpenDatabase = (env: Readonly<Env>) => { readonly db: Db; readonly ready: Promise<void>; done(): Promise<void> };

const ownDatabase: OpenDatabase = (env) => {
  const db = openDb({ url: env.DATABASE_URL });
  return { db, ready: ensureMigrated(db), done: () => db.destroy() };
};

/** The readers of `route explain` (and of the commands that borrow them), each on a database from `open`. */
function routeCliDeps(open: OpenDatabase): RouteCliDeps {
  return {
    async loadRules(env) {
      try {
        // The rules the service runs (the newest stored version); RULES_DIR before the first import.
        const stored = await newestStoredRules(open(env), env);
        return stored ?? RulesStore.open(env.RULES_DIR, { defaultCountry: env.DEFAULT_COUNTRY }).current();
      } catch (err) {
        // One line on stderr (exit 1); `route check-rules` lists the errors one per line.
        if (err instanceof RulesLoadError) {
          throw new CliFailure(`the rules in ${env.RULES_DIR} do not load (${err.errors.length} error(s)): ${err.errors.join('; ')}`, 1);
        }
        throw err;
      }
    },
    async openCarriers(env, codes) {
      const { db, ready, done } = open(env);
      try {
        await ready;
        const store = new CarrierIndexStore({ db, loadMapping: () => loadCarrierMapping(env.RULES_DIR), ...(codes ? { codes } : {}) });
        const state = await store.reload();
        const warning = state.plan === null && state.ported === null
          ? 'no numbering plan imported: every carrier is unknown (import one with `b24pbx carriers import`)'
          : undefined;
        return { lookup: store.current(), ...(warning ? { warning } : {}) };
      } catch (err) {
        return { lookup: UNKNOWN_LOOKUP, warning: `carrier index not available (${(err as Error).message.split('\n')[0]}): every carrier is unknown` };
      } finally {
        await done();
      }
    },
    async openHealth(env, rules) {
      const { db, ready, done } = open(env);
      try {
        await ready;
        const health = new TrunkHealth({
          store: new TrunkHealthRepository(db), rules: { current: () => rules }, clock: { now: () => Date.now() },
          logger: silentLogger, refreshMs: 1000,
        });
        await health.refresh();
        return health.snapshot();
      } catch {
        return HEALTHY;
      } finally {
        await done();
      }
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}

/** Each read opens the database and closes it: for commands that borrow one reader. */
export const defaultRouteCliDeps: RouteCliDeps = routeCliDeps(ownDatabase);

/**
 * The same readers on one database, opened (and checked for migrations) once for the whole
 * command: `route explain` reads rules, carriers and trunk health from it. `close()` at the end.
 */
export function oneDatabaseRouteCliDeps(): RouteCliDeps & { close(): Promise<void> } {
  let shared: { url: string; db: Db; ready: Promise<void> } | null = null;
  const open: OpenDatabase = (env) => {
    if (shared === null || shared.url !== env.DATABASE_URL) {
      void shared?.db.destroy();
      const db = openDb({ url: env.DATABASE_URL });
      shared = { url: env.DATABASE_URL, db, ready: ensureMigrated(db) };
      // A failed migration check is seen by each reader that awaits it, not as an unhandled rejection.
      shared.ready.catch(() => undefined);
    }
    return { db: shared.db, ready: shared.ready, done: async () => undefined };
  };
  return {
    ...routeCliDeps(open),
    async close() {
      const last = shared;
      shared = null;
      await last?.db.destroy();
    },
  };
}

async function newestStoredRules({ db, ready, done }: ReturnType<OpenDatabase>, env: Readonly<Env>): Promise<CompiledRules | null> {
  try {
    await ready;
    const stored = new StoredRules(db, { rulesDir: env.RULES_DIR, defaultCountry: env.DEFAULT_COUNTRY });
    return (await stored.versions.newestVersion()) === null ? null : (await stored.newest()).compiled;
  } finally {
    await done();
  }
}

/**
 * `route explain`: the decision for a call without placing it. Exit 0 routed; 1 refused or
 * invalid (one line on stderr; with --json the JSON is still printed); 2 usage.
 */
export async function runRouteExplain(opts: RouteExplainOptions, deps: RouteCliDeps, env: Readonly<Env>): Promise<void> {
  const user = opts.user?.trim() || undefined;
  const extension = opts.extension?.trim() || undefined;
  const department = opts.department?.trim() || undefined;
  if (!user && !extension && !department) throw new CliFailure('route explain: give --user ID, --extension EXT or --department D', 2);
  if (opts.number === undefined || opts.number.trim() === '') throw new CliFailure('route explain: give --number N', 2);
  const origin = opts.origin ?? 'phone';
  if (!(CALL_ORIGINS as readonly string[]).includes(origin)) {
    throw new CliFailure(`route explain: --origin must be one of ${CALL_ORIGINS.join(', ')} (got "${origin}")`, 2);
  }

  const rules = await deps.loadRules(env);
  // Only the plan ranges of the number's code: one call's explanation needs no more.
  const normalized = normalizePhone(opts.number, { defaultCountry: rules.defaultCountry as NormalizeOptions['defaultCountry'] });
  const code = normalized.ok ? planCodeOf(normalized.number.digits) : null;
  const carriers = await deps.openCarriers(env, code === null ? [] : [code]);
  if (carriers.warning) deps.stderr(`warning: ${carriers.warning}\n`);

  const health = deps.openHealth ? await deps.openHealth(env, rules) : HEALTHY;

  const decision = explainRoute(
    { rules: { current: () => rules }, carriers: { current: () => carriers.lookup } },
    { user: user ?? null, extension: extension ?? null, department: department ?? null, number: opts.number, origin: origin as CallOrigin, line: opts.line ?? null, health },
  );
  deps.stdout(opts.json ? `${JSON.stringify(decisionToJson(decision), null, 2)}\n` : `${decisionToText(decision)}\n`);
  if (decision.refused) throw new CliFailure(`refused ${decision.refused.code}: ${decision.refused.message}`, 1);
}

/** `route check-rules`: validates RULES_DIR; warnings on stderr, exit 1 with every error when invalid. */
export function runCheckRules(env: Readonly<Env>, out: Pick<RouteCliDeps, 'stdout' | 'stderr'>): void {
  const result = loadRules(env.RULES_DIR, { defaultCountry: env.DEFAULT_COUNTRY });
  for (const w of result.warnings) out.stderr(`warning: ${w}\n`);
  if (!result.ok) {
    for (const e of result.errors) out.stderr(`error: ${e}\n`);
    throw new CliFailure(`${env.RULES_DIR}: ${result.errors.length} error(s); the rules do not load`, 1);
  }
  const r = result.rules;
  out.stdout(`${env.RULES_DIR}: OK: ${r.trunks.length} trunks, ${r.departments.length} departments, ${r.users.length} users, ${r.masks.length} masks, maxAttempts ${r.maxAttempts}, default country ${r.defaultCountry}\n`);
}

export function registerRouteCommands(program: Command, deps: RouteCliDeps = defaultRouteCliDeps): void {
  const route = program.command('route').description('outbound routing: explain how a call would be routed, check the rules');
  route
    .command('check-rules')
    .description('validate the rules directory (RULES_DIR) and list every error and warning')
    .action(() => {
      runCheckRules(loadEnv(), deps);
    });
  route
    .command('explain')
    .description('show the attempt list for a call and why, without placing it')
    .option('--user <id>', 'Bitrix24 user id of the caller')
    .option('--extension <ext>', "the caller's extension (desk phone)")
    .option('--department <id>', 'a call on no employee\'s behalf (inbound forward, dialer): this department\'s policy and numbers')
    .option('--number <number>', 'the number to call, in any usual form (8 (926) 123-45-67, +7 926 …)')
    .option('--origin <origin>', `call origin: ${CALL_ORIGINS.join(' | ')}`, 'phone')
    .option('--line <line>', 'a manual line choice (Bitrix24 LINE_NUMBER); "auto" = automatic')
    .option('--json', 'print the decision as JSON')
    .action(async (opts: RouteExplainOptions) => {
      const once = deps === defaultRouteCliDeps ? oneDatabaseRouteCliDeps() : null;
      try {
        await runRouteExplain(opts, once ?? deps, loadEnv());
      } finally {
        await once?.close();
      }
    });
}
