import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AmiClient } from '../adapters/asterisk/ami/client.ts';
import { ensureMigrated, openDb, type Db } from '../adapters/db/connection.ts';
import { CallCostRepository } from '../adapters/db/repositories/call-cost-repository.ts';
import { createHttpApp, type ReadinessCheck } from '../adapters/http/app.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import { createMetrics, type Metrics } from '../adapters/metrics/metrics.ts';
import { loadCarrierMapping } from '../adapters/numbering-plan/carriers-config.ts';
import type { CallRecord } from '../app/calls/call-record.ts';
import { createCallsSide, type CallsSide } from './calls-side.ts';
import { clickToCallPort } from '../app/crm/click-to-call-adapter.ts';
import type { CrmClock } from '../app/crm/clock.ts';
import { createCrmSide, type CrmSide } from './crm-side.ts';
import { InboundCrm } from '../app/inbound/inbound-crm.ts';
import { ResponsibleLookup } from '../app/inbound/responsible-lookup.ts';
import { DurableInboundCards } from '../app/inbound/durable-cards.ts';
import { InboundCardsRepository } from '../adapters/db/repositories/inbound-cards-repository.ts';
import { MessageFilesOnDisk } from '../adapters/fax/message-files.ts';
import { CarrierIndexStore } from '../app/numbering/carrier-index-store.ts';
import { importSamplePlanIfEmpty } from '../app/numbering/sample-plan.ts';
import type { Env } from '../config/env.ts';
import { EffectiveRules } from './effective-rules.ts';
import { createAdminRouter } from './admin-router.ts';
import { buildConsole, consoleSavings } from './console.ts';
import { instrumentCalls } from './instrument.ts';
import { createLeaders, type Leaders } from './leadership.ts';
import { StoredRules, watchRules } from './stored-rules.ts';
import { buildTrunkHealth } from './trunk-health.ts';
import { buildAlerts, watchAmi } from './alerts.ts';
import type { Alerts } from '../app/alerts/alerts.ts';
import type { BreakerState } from '../app/trunks/trunk-health.ts';
import { createDialerSide, type DialerSide } from './dialer-side.ts';
import { createDialerRouter } from './dialer-router.ts';
import { bitrix24LeadSource } from './dialer-crm-sources.ts';

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
  readonly dialer: DialerSide;
  readonly httpServer: http.Server;
  readonly httpPort: number;
  readonly agiPort: number;
  /** Emits 'call-ended' (CallRecord) for every call the tracker closes. */
  readonly callEvents: EventEmitter;
  /** Admin alerts (SIM credit, breakers, parked CRM writes, AMI down, refused imports). */
  readonly alerts: Alerts;
  /** The leases of leader-only work (one instance: held from the start). */
  readonly leaders: Leaders;
  /** Imports RULES_DIR as a new rules version when it differs, uses the newest (and re-reads carriers.yaml). */
  reload(): Promise<{ readonly ok: boolean; readonly errors: readonly string[] }>;
  stop(): Promise<void>;
}

/**
 * Answers while the parts are still being built: alive, not ready, nothing else yet (never a
 * request left hanging). The connector replaces it with the service's app once everything runs.
 */
function answerWhileStarting(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const [status, body] = path === '/healthz' ? [200, { status: 'ok' }]
    : path === '/readyz' ? [503, { status: 'not-ready', starting: true }]
      : [503, { error: 'STARTING', message: 'the connector is starting' }];
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '1' });
  res.end(JSON.stringify(body));
}

/** Listens on PORT (0 = any free port) before anything else is built; answers health checks meanwhile. */
export async function listenHttp(port: number, host: string): Promise<http.Server> {
  const server = http.createServer(answerWhileStarting);
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
  await ensureMigrated(db);

  // The newest stored rules version (RULES_DIR becomes version 1 in an empty database).
  const storedRules = new StoredRules(db, { rulesDir: env.RULES_DIR, defaultCountry: env.DEFAULT_COUNTRY });
  const firstRules = await storedRules.newest();
  for (const w of firstRules.warnings) logger.warn({ rules: env.RULES_DIR }, `rules: ${w}`);
  logger.info({ version: firstRules.version }, 'rules version in use');
  const rules = new EffectiveRules(firstRules.compiled, firstRules.version);
  const carriers = new CarrierIndexStore({ db, loadMapping: () => loadCarrierMapping(env.RULES_DIR) });
  if (options.sampleDataIfEmpty) {
    const imported = await importSamplePlanIfEmpty(db, loadCarrierMapping(env.RULES_DIR), Date.now());
    if (imported) logger.info({ rows: imported.rows }, 'no numbering plan in the database: imported the generated sample (carrier-db/)');
  }
  const carrierState = await carriers.reload();
  if (!carrierState.plan) logger.warn('no numbering plan imported: every carrier is unknown until `b24pbx carriers import` runs');

  // Built before the parts that raise alerts; the portal and the jobs lease are looked up when a notice goes out.
  let crmRef: CrmSide | null = null;
  let leadersRef: Leaders | null = null;
  // Filled in as those parts are built.
  const seenParts: { ami?: AmiClient | null; health?: { states(): ReadonlyMap<string, BreakerState> } } = {};
  const alertsPart = buildAlerts({
    db, env, logger: logger.child({ component: 'alerts' }), metrics,
    gateway: () => crmRef?.connection.gateway() ?? null,
    isLeader: () => leadersRef?.jobs.gate.term() != null,
    // No AMI configured: an ami-down left from an earlier configuration no longer holds.
    seen: () => ({ amiConnected: seenParts.ami === undefined ? null : (seenParts.ami?.connected ?? true), breakers: seenParts.health?.states() ?? null }),
  });
  const alerts = alertsPart.alerts;
  const health = buildTrunkHealth({ db, rules, logger: logger.child({ component: 'trunk-health' }), metrics, alerts });
  await health.start();
  seenParts.health = health;
  // The labelled series looked up once, not hashed again on every decision.
  const decisions = { refused: metrics.routeDecisionSeconds.labels({ kind: 'refused' }), routed: metrics.routeDecisionSeconds.labels({ kind: 'routed' }) };
  const routing = {
    rules,
    carriers,
    health,
    observe: (seconds: number, d: { refused: unknown }) => (d.refused ? decisions.refused : decisions.routed).observe(seconds),
  };
  const ami = env.AMI_HOST && env.AMI_USER && env.AMI_SECRET
    ? new AmiClient({
      host: env.AMI_HOST, port: env.AMI_PORT, username: env.AMI_USER, secret: env.AMI_SECRET,
      actionTimeoutMs: env.AMI_ACTION_TIMEOUT_MS, reconnectMinMs: env.AMI_RECONNECT_MIN_MS, reconnectMaxMs: env.AMI_RECONNECT_MAX_MS,
      keepaliveMs: env.AMI_KEEPALIVE_MS, logger: logger.child({ component: 'ami' }),
    })
    : null;
  seenParts.ami = ami;
  if (!ami) logger.warn('AMI_HOST/AMI_USER/AMI_SECRET not set: no click-to-call originate, no call tracking (FastAGI routing still works)');

  const leaders: Leaders = createLeaders(db, { pbx: env.PBX_NAME ?? (env.AMI_HOST ? `${env.AMI_HOST}:${env.AMI_PORT}` : 'none'), ttlMs: env.LEADER_TTL_S * 1000, logger });
  leadersRef = leaders;
  const amiAlerts = ami ? watchAmi(alerts, ami, { graceMs: env.ALERT_AMI_GRACE_S * 1000 }) : null;
  try {
    await leaders.start();
    const callEvents = new EventEmitter();
    // Built once the CRM side (its outbox) exists, just below; inbound steps arrive only after start.
    let inboundCrm: DurableInboundCards | null = null;
    let responsibleLookup: ResponsibleLookup | null = null;
    const calls = createCallsSide({
      db, env, logger, routing,
      ami: ami ?? disconnectedAmi,
      leader: leaders.pbx,
      onCallEnded: (record: CallRecord) => callEvents.emit('call-ended', record),
      onInboundStep: (query, answer) => inboundCrm?.observe(query, answer),
      inboundEvents: {
        answered: (linkedid, channel) => inboundCrm?.answered(linkedid, channel),
        ended: (linkedid, recording, call) => inboundCrm?.ended(linkedid, recording, call),
        message: (linkedid, report, left) => inboundCrm?.message(linkedid, report, left),
      },
      inboundResponsible: { find: (caller, timeoutMs) => responsibleLookup?.find(caller, timeoutMs) ?? Promise.resolve(null) },
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
      leader: leaders.jobs.gate,
      ...(options.crmClock ? { clock: options.crmClock } : {}),
      onParked: (entry, reason) => alerts.raise({ kind: 'crm-parked', subject: '', message: `a Bitrix24 write (${entry.method}, outbox #${entry.id}) was parked: ${reason}` }),
    });
    crmRef = crm;
    // Cards are stored between a call's events: any instance, or this one after a restart, goes on with them.
    inboundCrm = new DurableInboundCards({
      crm: new InboundCrm({ outbox: crm.outbox, rules, now: () => Date.now(), logger: logger.child({ component: 'inbound-crm' }), onEnqueued: () => crm.worker.notify(),
        messageFiles: new MessageFilesOnDisk(env.RECORDINGS_DIR) }),
      store: new InboundCardsRepository(db), now: () => Date.now(), logger: logger.child({ component: 'inbound-crm' }),
    });
    responsibleLookup = new ResponsibleLookup({
      gateway: crm.urgentGateway, defaultCountry: () => rules.current().defaultCountry, now: () => Date.now(), logger: logger.child({ component: 'inbound-lookup' }),
    });
    // Who answers an inbound call: the DialEnd ANSWER of its Linkedid (class `call`, already read).
    ami?.on('event', (e: Readonly<Record<string, string | undefined>>) => {
      if (e.event === 'DialEnd' && e.dialstatus === 'ANSWER' && e.linkedid) inboundCrm?.answered(e.linkedid, e.destchannel ?? '');
    });
    const directory = await crm.directory.load();
    if (directory.users.length > 0 || directory.departments.length > 0) rules.setDirectory(directory);

    const dialer = createDialerSide({
      db, env, logger, routing, calls, ami, crm: () => crm.connection.gateway(), outbox: crm.outbox, results: crm.worker, leader: leaders.pbx.gate,
    });

    const { fastAgi } = await calls.start();
    logger.info({ host: env.AGI_HOST, port: fastAgi.port }, 'FastAGI routing server listening');
    await crm.start();
    await dialer.start();

    // A new version (stored here or by another instance): swapped in whole; the jobs leader republishes the lines.
    const useNewestRules = async (): Promise<void> => {
      const newest = await storedRules.versions.newestVersion();
      if (newest === null || newest === rules.version) return;
      const loaded = await storedRules.newest();
      rules.setRules(loaded.compiled, loaded.version);
      await carriers.reload();
      logger.info({ version: loaded.version }, 'rules version in use');
      if (crm.connection.gateway() && leaders.jobs.gate.term() !== null) await crm.syncLines().catch((err: unknown) => logger.warn({ err }, 'line sync after reload failed'));
    };
    // SIGHUP and POST /admin/rules/reload: RULES_DIR is imported as a new version (when it differs).
    const reload = async () => {
      const result = await storedRules.importDir(env.RULES_DIR);
      if (!result.ok) {
        logger.error({ errors: result.errors }, 'rules reload refused: the last valid rules stay in use');
        return { ok: false, errors: result.errors };
      }
      try {
        await useNewestRules();
        await carriers.reload();
      } catch (err) {
        logger.error({ err }, 'rules reload failed: the last valid rules stay in use');
        return { ok: false, errors: [(err as Error).message] };
      }
      logger.info({ version: rules.version }, 'rules reloaded');
      return { ok: true, errors: [] };
    };
    const rulesWatch = await watchRules({ db, databaseUrl: env.DATABASE_URL, pollMs: env.RULES_POLL_MS, check: useNewestRules, logger });

    const readiness: ReadinessCheck[] = [
      { name: 'database', check: async () => { await db.raw('select 1'); return true; } },
      { name: 'ami', check: async () => ami?.connected ?? false },
      { name: 'crm', check: async () => crm.connection.mode === 'off' || crm.connection.gateway() !== null },
    ];
    const consoleUi = buildConsole({
      db, rules, carriers, storedRules, useNewestRules, health, checks: readiness, savings: consoleSavings(db, () => rules.current()),
      planImport: { loadMapping: () => loadCarrierMapping(env.RULES_DIR), maxShrink: env.IMPORT_MAX_SHRINK / 100 },
      alerts,
    });
    const app = createHttpApp({
      logger, metrics, readiness, trustProxy: env.TRUST_PROXY,
      routers: [
        { path: '/console', router: consoleUi.router },
        { path: '/', router: crm.router },
        { path: '/admin', router: crm.adminRouter },
        { path: '/admin', router: createAdminRouter({ token: env.ADMIN_TOKEN, reload, rules, carriers, calls, health, callCosts: new CallCostRepository(db) }) },
        { path: '/admin/dialer', router: createDialerRouter({
          token: env.ADMIN_TOKEN, store: dialer.store, rules, defaultCountry: env.DEFAULT_COUNTRY,
          leadSource: bitrix24LeadSource(() => crm.connection.gateway()), changed: () => dialer.cycle?.reloadDnc(),
        }) },
        { path: '/asterisk', router: calls.routeRouter() },
      ],
    });
    const httpServer = options.httpServer ?? await listenHttp(env.PORT, env.HTTP_HOST);
    httpServer.off('request', answerWhileStarting);
    httpServer.on('request', app);
    const httpPort = (httpServer.address() as AddressInfo).port;
    logger.info({ port: httpPort }, 'HTTP listening');

    if (ami) {
      ami.on('connected', () => logger.info('AMI connected'));
      ami.on('disconnected', (reason: unknown) => logger.warn({ reason: String(reason) }, 'AMI disconnected'));
      // The supervisor keeps retrying in the background: a PBX that is down at start is not fatal.
      await ami.start().catch((err: unknown) => {
        amiAlerts?.startFailed(err);
        logger.error({ err }, 'AMI not connected yet; retrying in the background');
      });
    }

    let stopped = false;
    return {
      env, db, metrics, rules, carriers, ami, calls, crm, dialer, httpServer, httpPort, agiPort: fastAgi.port, callEvents, alerts, leaders, reload,
      async stop() {
        if (stopped) return;
        stopped = true;
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
        await dialer.stop();
        await crm.stop();
        await calls.stop();
        // The card writes of the last events reach the outbox before the database closes.
        await inboundCrm?.idle();
        await health.stop();
        amiAlerts?.stop();
        await ami?.stop();
        await alertsPart.stop();
        await rulesWatch.stop();
        await leaders.stop();
        await db.destroy();
      },
    };
  } catch (err) {
    // A start that fails half-way gives the leases back at once.
    amiAlerts?.stop();
    await alertsPart.stop();
    await leaders.stop();
    throw err;
  }
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
