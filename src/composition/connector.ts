import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AmiClient } from '../adapters/asterisk/ami/client.ts';
import { migrateLatest, openDb, type Db } from '../adapters/db/connection.ts';
import { createHttpApp, type ReadinessCheck } from '../adapters/http/app.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import { createMetrics, type Metrics } from '../adapters/metrics/metrics.ts';
import { loadCarrierMapping } from '../adapters/numbering-plan/carriers-config.ts';
import { RulesStore } from '../adapters/rules/store.ts';
import type { CallRecord } from '../app/calls/call-record.ts';
import { createCallsSide, type CallsSide } from '../app/calls/calls-side.ts';
import { clickToCallPort } from '../app/crm/click-to-call-adapter.ts';
import type { CrmClock } from '../app/crm/clock.ts';
import { createCrmSide, type CrmSide } from '../app/crm/crm-side.ts';
import { CarrierIndexStore } from '../app/numbering/carrier-index-store.ts';
import { importSamplePlanIfEmpty } from '../app/numbering/sample-plan.ts';
import type { Env } from '../config/env.ts';
import { EffectiveRules } from './effective-rules.ts';
import { createAdminRouter } from './admin-router.ts';
import { instrumentCalls } from './instrument.ts';

export interface ConnectorOptions {
  readonly env: Readonly<Env>;
  readonly logger: Logger;
  /** Import the generated sample numbering plan when the database has none (the demo, a first start). */
  readonly sampleDataIfEmpty?: boolean;
  /** The clock of the CRM outbox (tests and the demo speed up its backoff). */
  readonly crmClock?: CrmClock;
  /** An HTTP server already listening (so PUBLIC_URL can name its port before the parts are built). */
  readonly httpServer?: http.Server;
}

export interface Connector {
  readonly env: Readonly<Env>;
  readonly db: Db;
  readonly metrics: Metrics;
  readonly rules: EffectiveRules;
  readonly carriers: CarrierIndexStore;
  readonly ami: AmiClient | null;
  readonly calls: CallsSide;
  readonly crm: CrmSide;
  readonly httpServer: http.Server;
  readonly httpPort: number;
  readonly agiPort: number;
  /** Emits 'call-ended' (CallRecord) for every call the tracker closes. */
  readonly callEvents: EventEmitter;
  /** Re-reads rules/*.yaml (and carriers.yaml) and republishes the Bitrix24 lines. */
  reload(): Promise<{ readonly ok: boolean; readonly errors: readonly string[] }>;
  stop(): Promise<void>;
}

/** Listens on PORT (0 = any free port) before anything else is built. */
export async function listenHttp(port: number, host: string): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * The composition root: the one place that builds every part and hands each its dependencies.
 * Order matters: database → rules and carrier index → the Asterisk side (FastAGI, tracker) →
 * the Bitrix24 side (events, outbox) → HTTP → AMI. Stopping runs in reverse, so no part is left
 * writing into a closed database.
 */
export async function startConnector(options: ConnectorOptions): Promise<Connector> {
  const { env, logger } = options;
  const metrics = createMetrics();

  const db = openDb({ url: env.DATABASE_URL });
  await migrateLatest(db);

  const store = RulesStore.open(env.RULES_DIR, { defaultCountry: env.DEFAULT_COUNTRY });
  for (const w of store.warnings()) logger.warn({ rules: env.RULES_DIR }, `rules: ${w}`);
  const rules = new EffectiveRules(store);
  const carriers = new CarrierIndexStore({ db, loadMapping: () => loadCarrierMapping(env.RULES_DIR) });
  if (options.sampleDataIfEmpty) {
    const imported = await importSamplePlanIfEmpty(db, loadCarrierMapping(env.RULES_DIR), Date.now());
    if (imported) logger.info({ rows: imported.rows }, 'no numbering plan in the database: imported the generated sample (carrier-db/)');
  }
  const carrierState = await carriers.reload();
  if (!carrierState.plan) logger.warn('no numbering plan imported: every carrier is unknown until `b24pbx carriers import` runs');

  const routing = {
    rules,
    carriers,
    observe: (seconds: number, d: { refused: unknown }) => metrics.routeDecisionSeconds.observe({ kind: d.refused ? 'refused' : 'routed' }, seconds),
  };
  const ami = env.AMI_HOST && env.AMI_USER && env.AMI_SECRET
    ? new AmiClient({
      host: env.AMI_HOST, port: env.AMI_PORT, username: env.AMI_USER, secret: env.AMI_SECRET,
      actionTimeoutMs: env.AMI_ACTION_TIMEOUT_MS, reconnectMinMs: env.AMI_RECONNECT_MIN_MS, reconnectMaxMs: env.AMI_RECONNECT_MAX_MS,
      keepaliveMs: env.AMI_KEEPALIVE_MS, logger: logger.child({ component: 'ami' }),
    })
    : null;
  if (!ami) logger.warn('AMI_HOST/AMI_USER/AMI_SECRET not set: no click-to-call originate, no call tracking (FastAGI routing still works)');

  const callEvents = new EventEmitter();
  const calls = createCallsSide({
    db, env, logger, routing,
    ami: ami ?? disconnectedAmi,
    onCallEnded: (record: CallRecord) => callEvents.emit('call-ended', record),
  });
  instrumentCalls({ calls, ami, metrics, callEvents });

  const crm = createCrmSide({
    db, env, rules, logger: logger.child({ component: 'crm' }),
    clickToCall: clickToCallPort(calls),
    endedCalls: {
      listPending: (n) => calls.store.listCallsPendingCrmHandoff(n),
      markDone: (id, trx) => calls.store.markCrmHandoffDone(id, trx),
      markAllDone: (ids, trx) => calls.store.markCrmHandoffDoneMany(ids, trx),
    },
    callEvents,
    onDirectory: (directory) => rules.setDirectory(directory),
    ...(options.crmClock ? { clock: options.crmClock } : {}),
  });
  const directory = await crm.directory.load();
  if (directory.users.length > 0 || directory.departments.length > 0) rules.setDirectory(directory);

  const { fastAgi } = await calls.start();
  logger.info({ host: env.AGI_HOST, port: fastAgi.port }, 'FastAGI routing server listening');
  await crm.start();

  const reload = async () => {
    const result = rules.reload();
    if (!result.ok) {
      logger.error({ errors: result.errors }, 'rules reload refused: the last valid rules stay in use');
      return { ok: false, errors: result.errors };
    }
    await carriers.reload();
    if (crm.connection.gateway()) await crm.syncLines().catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'line sync after reload failed'));
    logger.info('rules reloaded');
    return { ok: true, errors: [] };
  };

  const readiness: ReadinessCheck[] = [
    { name: 'database', check: async () => { await db.raw('select 1'); return true; } },
    { name: 'ami', check: async () => ami?.connected ?? false },
    { name: 'crm', check: async () => crm.connection.mode === 'off' || crm.connection.gateway() !== null },
  ];
  const app = createHttpApp({
    logger, metrics, readiness,
    routers: [
      { path: '/', router: crm.router },
      { path: '/admin', router: crm.adminRouter },
      { path: '/admin', router: createAdminRouter({ token: env.ADMIN_TOKEN, reload, rules, carriers, calls }) },
      { path: '/asterisk', router: calls.routeRouter() },
    ],
  });
  const httpServer = options.httpServer ?? await listenHttp(env.PORT, env.HTTP_HOST);
  httpServer.on('request', app);
  const httpPort = (httpServer.address() as AddressInfo).port;
  logger.info({ port: httpPort }, 'HTTP listening');

  if (ami) {
    ami.on('connected', () => logger.info('AMI connected'));
    ami.on('disconnected', (reason: unknown) => logger.warn({ reason: String(reason) }, 'AMI disconnected'));
    // The supervisor keeps retrying in the background: a PBX that is down at start is not fatal.
    await ami.start().catch((err: unknown) => logger.error({ err: { message: (err as Error).message } }, 'AMI not connected yet; retrying in the background'));
  }

  let stopped = false;
  return {
    env, db, metrics, rules, carriers, ami, calls, crm, httpServer, httpPort, agiPort: fastAgi.port, callEvents, reload,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await crm.stop();
      await calls.stop();
      await ami?.stop();
      await db.destroy();
    },
  };
}

/** Stands in for the AMI client when no PBX is configured: originate fails with a clear reason. */
const disconnectedAmi = {
  connected: false,
  on: () => disconnectedAmi,
  off: () => disconnectedAmi,
  originate: async () => {
    throw new Error('no PBX configured (AMI_HOST is not set)');
  },
  action: async () => {
    throw new Error('no PBX configured (AMI_HOST is not set)');
  },
};
