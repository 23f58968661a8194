import type express from 'express';
import request from 'supertest';
import { createHttpApp } from '../../src/adapters/http/app.ts';
import { silentLogger } from '../../src/adapters/logging/logger.ts';
import { createMetrics } from '../../src/adapters/metrics/metrics.ts';
import { loadCarrierMapping } from '../../src/adapters/numbering-plan/carriers-config.ts';
import { CallsRepository } from '../../src/adapters/db/repositories/calls-repository.ts';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CarrierIndexStore } from '../../src/app/numbering/carrier-index-store.ts';
import type { SavingsReport } from '../../src/app/console/ports.ts';
import { buildConsole, consoleSavings, saveConsoleUser, type ConsoleParts } from '../../src/composition/console.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import { EffectiveRules } from '../../src/composition/effective-rules.ts';
import { StoredRules } from '../../src/composition/stored-rules.ts';
import { tempSqliteDb } from './db.ts';

export const RULES_DIR = 'rules';
/** scrypt at a test cost: the same code path, a fraction of the memory and time. */
export const TEST_HASH_COST = { N: 1024 } as const;
export const PASSWORDS = { anna: 'anna-admin-secret', viktor: 'viktor-viewer-secret' } as const;

export interface ConsoleHarness {
  readonly app: express.Express;
  readonly db: Db;
  readonly rules: EffectiveRules;
  readonly calls: CallsRepository;
  close(): Promise<void>;
}

/**
 * The console as the connector mounts it (createHttpApp + /console), on a fresh SQLite database
 * with the shipped rules as version 1 and two accounts: anna (admin) and viktor (viewer).
 */
export async function startConsole(o: {
  readonly savings?: SavingsReport;
  /** Wires the real savings report over this database, priced with these rules. */
  readonly savingsRules?: CompiledRules;
  readonly trustProxy?: string;
  /** Admin alerts over the console's database: shown on the dashboard, told of refused plan imports. */
  readonly alerts?: (db: Db) => ConsoleParts['alerts'];
  /** A migrated database to use instead of a fresh SQLite one (`close` ends it). */
  readonly database?: { readonly db: Db; close(): Promise<void> };
} = {}): Promise<ConsoleHarness> {
  const { db, close } = o.database ?? await tempSqliteDb();
  const storedRules = new StoredRules(db, { rulesDir: RULES_DIR });
  const first = await storedRules.newest();
  const rules = new EffectiveRules(first.compiled, first.version);
  const carriers = new CarrierIndexStore({ db, loadMapping: () => loadCarrierMapping(RULES_DIR) });
  await carriers.reload();
  const useNewestRules = async (): Promise<void> => {
    const loaded = await storedRules.newest();
    rules.setRules(loaded.compiled, loaded.version);
  };
  const ui = buildConsole({
    db, rules, carriers, storedRules, useNewestRules, hashCost: TEST_HASH_COST,
    planImport: { loadMapping: () => loadCarrierMapping(RULES_DIR), maxShrink: 0.1 },
    checks: [{ name: 'database', check: async () => true }, { name: 'ami', check: async () => false }],
    ...(o.savings ? { savings: o.savings } : {}),
    ...(o.savingsRules ? { savings: consoleSavings(db, () => o.savingsRules!) } : {}),
    ...(o.alerts ? { alerts: o.alerts(db) } : {}),
  });
  await saveConsoleUser(db, { name: 'anna', role: 'admin', password: PASSWORDS.anna }, TEST_HASH_COST);
  await saveConsoleUser(db, { name: 'viktor', role: 'viewer', password: PASSWORDS.viktor }, TEST_HASH_COST);
  const app = createHttpApp({
    logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }), readiness: [],
    ...(o.trustProxy ? { trustProxy: o.trustProxy } : {}),
    routers: [{ path: '/console', router: ui.router }],
  });
  return { app, db, rules, calls: new CallsRepository(db), close };
}

/** The value of a hidden form field in a page. */
export function hiddenField(page: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!m) throw new Error(`no hidden field ${name} in the page`);
  return m[1]!;
}

/** Signs in through the form as a browser would; returns the agent (cookies kept) and its CSRF token. */
export async function signIn(app: express.Express, name: keyof typeof PASSWORDS): Promise<{ agent: ReturnType<typeof request.agent>; csrf: string }> {
  const agent = request.agent(app);
  const form = await agent.get('/console/login').expect(200);
  await agent.post('/console/login').type('form')
    .send({ _login: hiddenField(form.text, '_login'), name, password: PASSWORDS[name] })
    .expect(303).expect('location', '/console/');
  const page = await agent.get('/console/').expect(200);
  return { agent, csrf: hiddenField(page.text, '_csrf') };
}
