import type { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import cron from 'node-cron';
import type { Router } from 'express';
import type { Db } from '../adapters/db/connection.ts';
import { B24DirectoryRepository, type Directory } from '../adapters/db/repositories/b24-users-repository.ts';
import { clickIntake } from '../adapters/db/click-intake.ts';
import { CrmEventsRepository } from '../adapters/db/repositories/crm-events-repository.ts';
import { OutboxRepository } from '../adapters/db/repositories/outbox-repository.ts';
import { PortalRepository } from '../adapters/db/repositories/portal-repository.ts';
import { createBitrix24Router, createCrmAdminRouter } from '../adapters/http/routes/bitrix24.ts';
import { silentLogger, type Logger } from '../adapters/logging/logger.ts';
import type { Env } from '../config/env.ts';
import type { CompiledRules } from '../core/rules/compile.ts';
import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import { createOAuthServer } from '../adapters/bitrix24/oauth-server.ts';
import type { CallRecord } from '../app/calls/call-record.ts';
import { CallRecordHandoff, type EndedCallsSource } from '../app/crm/call-record-handoff.ts';
import { systemCrmClock, type CrmClock } from '../app/crm/clock.ts';
import { B24Connection } from '../app/crm/connection.ts';
import { CrmEvents } from '../app/crm/crm-events.ts';
import { purgeOldCrmRows, type HousekeepingReport } from '../app/crm/housekeeping.ts';
import { handleInstall } from '../app/crm/install.ts';
import { fencedGateway } from '../app/crm/fenced-gateway.ts';
import { whileLeader, type LeaderGate } from '../app/leadership/leadership.ts';
import { rateLimitedGateway } from '../app/crm/limited-gateway.ts';
import { syncLines, type LineSyncReport } from '../app/crm/line-sync.ts';
import { OutboxWorker } from '../app/crm/outbox-worker.ts';
import type { ClickToCallPort } from '../app/crm/ports.ts';
import { RequestRateLimiter } from '../app/crm/rate-limiter.ts';
import { RecordingLinks, RecordingResolver } from '../app/crm/recordings.ts';
import { UserSync } from '../app/crm/user-sync.ts';

export interface CrmSideDeps {
  readonly db: Db;
  readonly env: Readonly<Env>;
  /** The compiled rules in use, already merged with the directory (see mergeDirectory). */
  readonly rules: { current(): CompiledRules };
  readonly clickToCall: ClickToCallPort;
  readonly endedCalls: EndedCallsSource<Knex.Transaction>;
  /** Emits 'call-ended' (CallRecord) once the tracker has stored a call as ended: handed off as it is (the pending list is the durable path). */
  readonly callEvents?: EventEmitter;
  /** The directory changed (after a user sync): rebuild the merged rules. */
  readonly onDirectory?: (directory: Directory) => void | Promise<void>;
  readonly logger?: Logger;
  readonly clock?: CrmClock;
  /** The jobs lease: only its holder runs user and line sync and the outbox purge. Absent: always (one instance). */
  readonly leader?: LeaderGate;
  /** Told of every outbox entry parked (the admin alerts). */
  readonly onParked?: (entry: { readonly id: number; readonly method: string }, reason: string) => void;
  /** Real time, which clicks' ages are judged by (default: the system's; `clock` may run scaled). */
  readonly wallClock?: { now(): number };
}

/** How often every pending call is looked for (calls ended elsewhere, hand-offs that failed). */
const HANDOFF_SWEEP_MS = 5_000;

/** Everything of the Bitrix24 side, wired; the composition root mounts the routers and calls start/stop. */
export interface CrmSide {
  /** Reads a caller is waiting for (the responsible manager's lookup): first in line at the rate limiter. */
  readonly urgentGateway: () => B24Gateway | null;
  readonly connection: B24Connection;
  readonly outbox: OutboxRepository;
  readonly worker: OutboxWorker;
  readonly events: CrmEvents;
  readonly handoff: CallRecordHandoff<Knex.Transaction>;
  readonly userSync: UserSync;
  readonly directory: B24DirectoryRepository;
  /** Mount at `/`. */
  readonly router: Router;
  /** Mount at `/admin`. */
  readonly adminRouter: Router;
  syncLines(): Promise<LineSyncReport>;
  /** Deletes done outbox entries and handled events older than OUTBOX_KEEP_DONE_DAYS (also run on OUTBOX_PURGE_CRON). */
  housekeeping(): Promise<HousekeepingReport>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createCrmSide(deps: CrmSideDeps): CrmSide {
  const { db, env } = deps;
  const clock = deps.clock ?? systemCrmClock;
  const logger = deps.logger ?? silentLogger;
  const portals = new PortalRepository(db);
  const outbox = new OutboxRepository(db);
  const directory = new B24DirectoryRepository(db);
  const oauth = env.B24_MODE === 'app' && env.B24_CLIENT_ID && env.B24_CLIENT_SECRET
    ? createOAuthServer({
      baseUrl: env.B24_OAUTH_URL, clientId: env.B24_CLIENT_ID, clientSecret: env.B24_CLIENT_SECRET,
      timeoutMs: env.B24_HTTP_TIMEOUT_MS, allowHttpLoopback: env.B24_ALLOW_HTTP_LOOPBACK, now: () => clock.now(),
    })
    : null;
  const connection = new B24Connection({
    mode: env.B24_MODE ?? 'off',
    webhookUrl: env.B24_WEBHOOK_URL,
    applicationToken: env.B24_APPLICATION_TOKEN,
    memberId: env.B24_MEMBER_ID,
    domain: env.B24_PORTAL_DOMAIN,
    timeoutMs: env.B24_HTTP_TIMEOUT_MS,
    allowHttpLoopback: env.B24_ALLOW_HTTP_LOOPBACK,
  }, portals, clock, oauth);
  const eventsRepo = new CrmEventsRepository(db);
  // One client-side twin of the portal's bucket for every request: outbox drain, syncs and reads.
  const limiter = new RequestRateLimiter(clock, env.B24_RATE_BURST, env.B24_RATE_PER_SEC);
  const limited = (): B24Gateway | null => {
    const gateway = connection.gateway();
    return gateway ? rateLimitedGateway(gateway, limiter) : null;
  };
  const links = env.PUBLIC_URL && env.RECORD_URL_SECRET ? new RecordingLinks(env.RECORD_URL_SECRET, env.PUBLIC_URL, env.RECORD_URL_TTL_S) : null;
  const worker = new OutboxWorker({
    repo: outbox,
    gateway: connection.delegate,
    clock,
    limiter,
    recordings: new RecordingResolver(env.RECORDINGS_DIR, links),
    maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
    logger: logger.child({ part: 'crm-outbox' }),
    ...(deps.onParked ? { onParked: deps.onParked } : {}),
  });
  const events = new CrmEvents({
    events: eventsRepo,
    clicks: clickIntake(db, logger.child({ part: 'click-intake' })),
    outbox,
    results: worker,
    gateway: limited,
    clickToCall: deps.clickToCall,
    rules: deps.rules,
    clock,
    wallClock: deps.wallClock ?? systemCrmClock,
    logger: logger.child({ part: 'crm-events' }),
    maxDialDelayMs: env.B24_MAX_DIAL_DELAY_S * 1000,
    clockSkewMs: env.B24_CLOCK_SKEW_S * 1000,
  });
  const handoff = new CallRecordHandoff({ transaction: (work) => db.transaction(work), source: deps.endedCalls, outbox, rules: deps.rules, clock, logger, onEnqueued: () => worker.notify() });
  // Leader-only jobs check the lease before each request they send.
  const leader = deps.leader;
  const jobsGateway = (): B24Gateway | null => {
    const gateway = limited();
    return gateway && leader ? fencedGateway(gateway, () => leader.check()) : gateway;
  };
  const userSync = new UserSync({ gateway: jobsGateway, repo: directory, clock, onSynced: deps.onDirectory });
  // One line sync at a time: two at once (a start and an install, a reload) would both add a missing line.
  let lineSync: Promise<unknown> = Promise.resolve();
  const lines = (): Promise<LineSyncReport> => {
    const run = lineSync.catch(() => undefined).then(() => {
      const gateway = jobsGateway();
      if (!gateway) throw new Error('no Bitrix24 portal is connected');
      return syncLines(gateway, directory, deps.rules.current(), clock);
    });
    lineSync = run;
    return run;
  };
  const afterConnect = async (): Promise<void> => {
    // Failures here are logged, never fatal: the next reload / cron run tries again.
    await lines().catch((err: unknown) => logger.warn({ err }, 'line sync failed'));
    await userSync.run().catch((err: unknown) => logger.warn({ err }, 'user sync failed'));
  };

  const router = createBitrix24Router({
    events,
    expectedPortal: () => connection.expectedPortal(),
    install: connection.mode === 'app' && env.PUBLIC_URL && oauth
      ? (event) => handleInstall(event, {
        portals, clock, publicUrl: env.PUBLIC_URL as string, pins: connection.pins, oauth, allowHttpLoopback: env.B24_ALLOW_HTTP_LOOPBACK,
        gatewayFor: (p) => connection.gatewayFor(p),
        onInstalled: async (portal) => {
          connection.use(portal);
          background(afterConnect());
        },
      })
      : null,
    onUninstall: async () => {
      const portal = connection.installedPortal();
      if (portal) await portals.remove(portal.memberId);
      connection.use(null);
    },
    recordings: links ? { links, dir: env.RECORDINGS_DIR } : null,
    clock,
    logger: logger.child({ part: 'bitrix24-http' }),
  });
  const adminRouter = createCrmAdminRouter({ adminToken: env.ADMIN_TOKEN, syncUsers: () => userSync.run(), syncLines: lines, logger });

  const housekeeping = async (): Promise<HousekeepingReport> => {
    await leader?.check();
    const report = await purgeOldCrmRows({ outbox, events: eventsRepo }, clock, env.OUTBOX_KEEP_DONE_DAYS);
    if (report.outbox + report.events > 0) logger.info({ ...report, keepDays: env.OUTBOX_KEEP_DONE_DAYS }, 'old CRM rows purged');
    return report;
  };
  const tasks: { stop(): void }[] = [];
  let leading: { stop(): Promise<void> } | null = null;
  // Work started in the background (syncs, resumed events, hand-offs): stop() waits for it, so
  // nothing is left writing into a database the caller is about to close.
  const running = new Set<Promise<unknown>>();
  const background = (work: Promise<unknown>): void => {
    const p = work.finally(() => running.delete(p));
    running.add(p);
  };
  // Every pending call, now and then: calls ended elsewhere (the dialer) and hand-offs that failed.
  const sweep = (): void => background(handoff.drainPending().catch((err: unknown) => logger.error({ err }, 'call record hand-off failed')));
  let sweeping: NodeJS.Timeout | null = null;
  const onCallEnded = (record: CallRecord): void => background(handoff.takeClosed(record).catch((err: unknown) => {
    logger.error({ err }, 'call record hand-off failed; the call stays pending for the next sweep');
  }));

  const urgentGateway = (): B24Gateway | null => {
    const gateway = connection.gateway();
    return gateway ? rateLimitedGateway(gateway, limiter, true) : null;
  };

  return {
    connection, outbox, worker, events, handoff, userSync, directory, router, adminRouter, urgentGateway,
    syncLines: lines,
    housekeeping,
    async start() {
      await connection.init();
      if (connection.mode === 'off') return;
      // The worker first: resumed callbacks wait for their register to go through it.
      worker.start(env.OUTBOX_POLL_MS);
      // Taken over before anything else runs; handled in the background, so a callback waiting
      // for its register (portal down) does not hold up the start.
      const unprocessed = await events.takeOverUnprocessed();
      background((async () => {
        for (const id of unprocessed) await events.process(id);
      })().catch((err: unknown) => logger.error({ err }, 'resuming stored events failed')));
      sweep();
      sweeping = setInterval(sweep, HANDOFF_SWEEP_MS);
      sweeping.unref();
      deps.callEvents?.on('call-ended', onCallEnded);
      const lead = async (): Promise<void> => {
        if (connection.gateway()) background(afterConnect());
        tasks.push(cron.schedule(env.B24_USER_SYNC_CRON, () => {
          background(userSync.run().catch((err: unknown) => logger.warn({ err }, 'scheduled user sync failed')));
        }));
        tasks.push(cron.schedule(env.OUTBOX_PURGE_CRON, () => {
          background(housekeeping().catch((err: unknown) => logger.warn({ err }, 'outbox housekeeping failed')));
        }));
      };
      const stepDown = async (): Promise<void> => {
        for (const task of tasks.splice(0)) task.stop();
      };
      if (leader) {
        const w = whileLeader(leader, lead, stepDown, logger);
        leading = w;
        await w.settled();
      } else await lead();
    },
    async stop() {
      await leading?.stop();
      leading = null;
      for (const task of tasks.splice(0)) task.stop();
      deps.callEvents?.off('call-ended', onCallEnded);
      if (sweeping) clearInterval(sweeping);
      sweeping = null;
      // Bounded: a resumed callback may be waiting on a portal that is down; what it has not done
      // stays stored and is taken over at the next start.
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await worker.stop();
    },
  };
}
