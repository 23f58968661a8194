import type { Express } from 'express';
import { createHttpApp } from '../../../src/adapters/http/app.ts';
import { createBitrix24Router, createCrmAdminRouter } from '../../../src/adapters/http/routes/bitrix24.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { Db } from '../../../src/adapters/db/connection.ts';
import { B24DirectoryRepository } from '../../../src/adapters/db/repositories/b24-users-repository.ts';
import { clickIntake } from '../../../src/adapters/db/click-intake.ts';
import { CrmEventsRepository } from '../../../src/adapters/db/repositories/crm-events-repository.ts';
import { OutboxRepository } from '../../../src/adapters/db/repositories/outbox-repository.ts';
import { PortalRepository } from '../../../src/adapters/db/repositories/portal-repository.ts';
import type { CrmRules } from '../../../src/core/rules/model.ts';
import type { CompiledRules } from '../../../src/core/rules/compile.ts';
import { createOAuthServer } from '../../../src/adapters/bitrix24/oauth-server.ts';
import { B24Connection } from '../../../src/app/crm/connection.ts';
import { CrmEvents } from '../../../src/app/crm/crm-events.ts';
import { handleInstall } from '../../../src/app/crm/install.ts';
import { OutboxWorker } from '../../../src/app/crm/outbox-worker.ts';
import { RequestRateLimiter } from '../../../src/app/crm/rate-limiter.ts';
import { RecordingLinks, RecordingResolver } from '../../../src/app/crm/recordings.ts';
import { UserSync } from '../../../src/app/crm/user-sync.ts';
import { startBitrix24Double, type Bitrix24DoubleOptions } from '../../../src/doubles/bitrix24/server.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { compiledTestRules, manualClock, RoutingClickToCall } from './fixtures.ts';

export const CLIENT = { clientId: 'local.connector', clientSecret: 'client-secret' };
export const PUBLIC_URL = 'https://pbx.example.com';

export interface HarnessOptions {
  readonly crm?: Partial<CrmRules>;
  readonly double?: Bitrix24DoubleOptions;
  readonly maxAttempts?: number;
  /** Store the double's portal as installed before the test (default true). */
  readonly installed?: boolean;
  readonly recordingsDir?: string;
  readonly recordUrlSecret?: string;
  readonly timeoutMs?: number;
  /** B24_ALLOW_HTTP_LOOPBACK for installs (default true: the double is on 127.0.0.1). */
  readonly allowHttpLoopback?: boolean;
}

/**
 * The Bitrix24 side wired for a test: a SQLite temp database, the Bitrix24 double over a real
 * socket (spoken to by the real SDK), the HTTP app with the Bitrix24 router, a routing-backed
 * click-to-call port, and a manual clock shared by the outbox and the double's rate limit.
 */
export async function crmHarness(o: HarnessOptions = {}) {
  // The SDK checks token expiry against the real time: the manual clock starts at the real now.
  const clock = manualClock(Date.now());
  const dbh = await tempSqliteDb();
  const db: Db = dbh.db;
  const double = await startBitrix24Double({ clock: clock.now, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, ...o.double });
  let compiled: CompiledRules = compiledTestRules(o.crm);
  const rules = { current: () => compiled };
  const portals = new PortalRepository(db);
  if (o.installed ?? true) {
    await portals.saveInstall({
      memberId: double.portal.memberId, domain: double.portal.domain, clientEndpoint: double.restUrl, serverEndpoint: double.restUrl,
      accessToken: double.portal.accessToken, refreshToken: double.portal.refreshToken, expires: double.portal.expires, expiresIn: 3600,
      applicationToken: double.portal.applicationToken, scope: 'telephony', status: 'L', userId: '1',
    }, clock.now());
  }
  // The double is both the portal and Bitrix24's OAuth server, on 127.0.0.1.
  const oauth = createOAuthServer({ baseUrl: double.baseUrl, ...CLIENT, timeoutMs: o.timeoutMs ?? 5000, allowHttpLoopback: true, now: clock.now });
  const connection = new B24Connection({ mode: 'app', ...CLIENT, timeoutMs: o.timeoutMs ?? 5000, allowHttpLoopback: true }, portals, clock, oauth);
  await connection.init();
  const outbox = new OutboxRepository(db);
  const links = o.recordUrlSecret ? new RecordingLinks(o.recordUrlSecret, PUBLIC_URL, 3600) : null;
  const worker = new OutboxWorker({
    repo: outbox,
    gateway: connection.delegate,
    clock,
    limiter: new RequestRateLimiter(clock, 50, 2),
    recordings: o.recordingsDir ? new RecordingResolver(o.recordingsDir, links) : null,
    maxAttempts: o.maxAttempts ?? 5,
  });
  const port = new RoutingClickToCall(() => compiled, async (crmCallId) => (await db('calls').where({ crm_call_id: crmCallId }).whereNull('refusal_code').first('id')) !== undefined);
  const eventsRepo = new CrmEventsRepository(db);
  // Outbox results for the callback flow: drain right away instead of waiting on a worker loop.
  const results = {
    notify: () => undefined,
    waitFor: async (id: number) => {
      await worker.drainUntilIdle();
      return (await outbox.get(id))?.result ?? null;
    },
  };
  const clicks = clickIntake(db);
  const events = new CrmEvents({ events: eventsRepo, clicks, outbox, results, gateway: () => connection.gateway(), clickToCall: port, rules, clock });
  // Processing is held until the test asks for it: proves the reply never waits for it.
  const processing: (() => Promise<void>)[] = [];
  const directory = new B24DirectoryRepository(db);
  const userSync = new UserSync({ gateway: () => connection.gateway(), repo: directory, clock });
  const router = createBitrix24Router({
    events,
    expectedPortal: () => connection.expectedPortal(),
    install: (event) => handleInstall(event, {
      portals, clock, publicUrl: PUBLIC_URL, pins: connection.pins, oauth, allowHttpLoopback: o.allowHttpLoopback ?? true, gatewayFor: (p) => connection.gatewayFor(p),
      onInstalled: async (p) => connection.use(p),
    }),
    onUninstall: async () => {
      const installed = connection.installedPortal();
      if (installed) await portals.remove(installed.memberId);
      connection.use(null);
    },
    recordings: links && o.recordingsDir ? { links, dir: o.recordingsDir } : null,
    clock,
    logger: silentLogger,
    defer: (work) => {
      processing.push(work);
    },
  });
  const app: Express = createHttpApp({
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
    readiness: [],
    routers: [
      { path: '/', router },
      { path: '/admin', router: createCrmAdminRouter({ adminToken: 'admin-token-0123456789', syncUsers: () => userSync.run(), logger: silentLogger }) },
    ],
  });
  return {
    clock, db, dbUrl: dbh.url, double, rules, results, portals, connection, outbox, worker, port, events, eventsRepo, app, directory, userSync,
    setRules(next: CompiledRules) {
      compiled = next;
    },
    /** Waits for the processing started after the replies. */
    async settled(): Promise<void> {
      for (let work = processing.shift(); work; work = processing.shift()) await work();
    },
    async close(): Promise<void> {
      await worker.stop();
      await double.close();
      await dbh.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof crmHarness>>;
