import { randomHexIds } from '../adapters/security/random-ids.ts';
import type { Router } from 'express';
import { csvCdrRecords } from '../adapters/asterisk/cdr/csv-records.ts';
import { parsePeerAllowlist } from '../adapters/asterisk/fastagi/peer-allowlist.ts';
import type { Knex } from 'knex';
import { startFastAgiServer, type FastAgiServer } from '../adapters/asterisk/fastagi/server.ts';
import type { Db } from '../adapters/db/connection.ts';
import { CallsRepository } from '../adapters/db/repositories/calls-repository.ts';
import { ChannelsRepository } from '../adapters/db/repositories/channels-repository.ts';
import { createRouteRouter } from '../adapters/http/routes/route.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { Env } from '../config/env.ts';
import { whileLeader, type LeaderGate } from '../app/leadership/leadership.ts';
import type { RoutingDeps } from '../app/routing/route-call.ts';
import type { CallRecord } from '../app/calls/call-record.ts';
import {
  dialPlanned, originateClickToCall, planClickToCall, type ClickPlanning, type ClickToCallDeps, type ClickToCallInput, type ClickToCallResult, type PlannedClick,
} from '../app/calls/click-to-call.ts';
import { systemClock, type Clock, type Originator } from '../app/calls/ports.ts';
import { reconcileWithPbx, type AmiActionPort } from '../app/calls/reconcile.ts';
import { RouteService } from '../app/calls/route-service.ts';
import { SharedChannels } from '../app/calls/shared-channels.ts';
import { CallTracker } from '../app/calls/tracker.ts';
import { PER_MINUTE } from '../core/rules/billing.ts';
import { InboundService, type InboundCallEvents, type InboundServiceDeps, type InboundStepObserver } from '../app/inbound/inbound-service.ts';

type AmiEvent = Readonly<Record<string, string | undefined>>;

/**
 * Channels in use are read from the database this often, so an instance's counts are at most this
 * plus one read old (stated: 1 s). A claim on a trunk's last channel holds up to CHANNEL_CLAIM_MS
 * until its attempt is stored, then CHANNEL_STALE_MS more, until every instance's counts show it.
 */
export const CHANNELS_REFRESH_MS = 500;
export const CHANNEL_CLAIM_MS = 5000;
export const CHANNEL_STALE_MS = 1000;

/** What the PBX side needs from the AMI client (AmiClient has all of it). */
export interface CallsAmi extends Originator, AmiActionPort {
  readonly connected: boolean;
  on(event: 'event', listener: (e: AmiEvent) => void): unknown;
  on(event: 'connected', listener: () => void): unknown;
  off(event: 'event', listener: (e: AmiEvent) => void): unknown;
  off(event: 'connected', listener: () => void): unknown;
}

export interface CallsSideOptions {
  readonly db: Db;
  readonly env: Readonly<Env>;
  readonly logger: Logger;
  readonly routing: RoutingDeps;
  readonly ami: CallsAmi;
  readonly clock?: Clock;
  /** Ended calls, as soon as they are stored with crm_handoff = pending (the CRM side's fast path). */
  readonly onCallEnded?: (record: CallRecord) => void;
  /** Told of every inbound step decided (the CRM card follows the call with it). */
  readonly onInboundStep?: InboundStepObserver;
  /** Told when an inbound call's phone answers and when the call ends (the CRM finishes it). */
  readonly inboundEvents?: InboundCallEvents;
  /** The CRM lookup of an inbound caller's responsible manager. */
  readonly inboundResponsible?: InboundServiceDeps['responsible'];
  /**
   * The PBX's leader lease: only its holder follows AMI events (the tracker, which closes every
   * call, click-to-calls of any instance included) and compares with the channel list; its tracking
   * writes carry the lease's fencing check. Absent: this instance always follows (one instance).
   */
  readonly leader?: { readonly gate: LeaderGate; readonly fence: (trx: Knex.Transaction) => Promise<void> };
}

export interface CallsSide {
  readonly store: CallsRepository;
  readonly routes: RouteService;
  readonly tracker: CallTracker;
  /** Inbound scenarios: the FastAGI `inbound` script's steps and `inbound explain`. */
  readonly inbound: InboundService;
  /** The click-to-call use case, wired (for the CRM side's ClickToCallPort): plan, store, dial. */
  clickToCall(input: ClickToCallInput): Promise<ClickToCallResult>;
  /** Its first step alone: the plan, for a caller that stores the call itself. */
  planClick(input: ClickToCallInput): ClickPlanning;
  /** Its last step alone: dials a planned click whose call the caller has stored. */
  dialClick(planned: PlannedClick): Promise<ClickToCallResult>;
  /** Whether a call was placed for this CRM call (stored and sent to the PBX). */
  placed(crmCallId: string): Promise<boolean>;
  /** `GET /route` for CURL() dialplans: mount it at `/asterisk`. */
  routeRouter(): Router;
  /** Loads calls in flight, listens for FastAGI, follows AMI events. Start the AMI client after it. */
  start(): Promise<{ readonly fastAgi: FastAgiServer }>;
  stop(): Promise<void>;
}

/**
 * The PBX side assembled: route service (FastAGI + HTTP), click-to-call, call tracker, and how
 * they tell each other about calls (planned → cached for routing; ended → channels freed).
 */
export function createCallsSide(o: CallsSideOptions): CallsSide {
  const clock = o.clock ?? systemClock;
  const store = new CallsRepository(o.db, () => clock.now(), o.leader?.fence);
  // The tracker follows the calls the route service and click-to-call tell it of (built just below).
  let followCall: (uniqueid: string, linkedid: string | null) => void = () => undefined;
  const channels = new SharedChannels({
    store: new ChannelsRepository(o.db), clock, logger: o.logger.child({ component: 'channels' }),
    refreshMs: CHANNELS_REFRESH_MS, claimMs: CHANNEL_CLAIM_MS, staleMs: CHANNEL_STALE_MS,
  });
  const routes = new RouteService({
    store, routing: o.routing, clock, logger: o.logger.child({ component: 'route' }), follow: (u, l) => followCall(u, l), channels,
  });
  const tracker = new CallTracker({
    store,
    clock,
    logger: o.logger.child({ component: 'tracker' }),
    flushIntervalMs: Math.max(10, o.env.TRACKER_FLUSH_MS),
    lineOf: (id) => o.routing.rules.current().trunkById.get(id)?.trunk.line ?? null,
    failOpenTrunk: o.env.FAILOPEN_TRUNK ?? null,
    failOpenPerMinute: null,
    incrementOf: (id) => o.routing.rules.current().trunkById.get(id)?.trunk.tariffs.increment ?? PER_MINUTE,
    beforeClose: () => routes.drain(),
    known: (uniqueid) => routes.known(uniqueid),
    pbxRecords: o.env.CDR_CSV_PATH ? csvCdrRecords(o.env.CDR_CSV_PATH) : null,
  });
  followCall = (u, l) => tracker.follow(u, l);
  const inbound = new InboundService({
    rules: o.routing.rules, now: () => clock.now(), random: Math.random, ...(o.onInboundStep ? { observe: o.onInboundStep } : {}), ...(o.inboundEvents ? { events: o.inboundEvents } : {}),
    ...(o.inboundResponsible ? { responsible: o.inboundResponsible } : {}),
  });
  tracker.on('call-ended', (record) => {
    routes.callEnded(record.callId, record.trunkId);
    o.onCallEnded?.(record);
  });
  let server: FastAgiServer | null = null;
  let leading: { stop(): Promise<void> } | null = null;
  const stopping = new AbortController();
  const follow = (e: AmiEvent): void => tracker.handle(e);
  let following = false;
  // Not following (another instance leads): a Hangup of a channel this instance routed frees its
  // trunk channel. The leader waits for the call's end instead (a transfer hangs up the caller early).
  const hungUp = (e: AmiEvent): void => {
    if (!following && e.event === 'Hangup' && e.uniqueid) routes.channelHungUp(e.uniqueid);
  };
  let reconciling: Promise<void> | null = null;
  let again = false;
  let reconcileTimer: NodeJS.Timeout | null = null;
  // A (re)connect may have missed events: calls in flight are marked, then compared with the PBX.
  const reconnected = (): void => {
    tracker.markGap();
    reconcile();
  };
  // After every (re)connect, then every TRACKER_RECONCILE_MS: calls whose channels went away unseen
  // are closed. One run at a time; a request during a run (a reconnect) gets a run of its own after it.
  const reconcile = (): void => {
    if (reconciling) {
      again = true;
      return;
    }
    if (!o.ami.connected || stopping.signal.aborted) return;
    reconciling = reconcileWithPbx(o.ami, tracker, o.env.TRACKER_RECONCILE_MS)
      .catch((err: unknown) => {
        o.logger.warn({ err }, 'tracker: reconciling with the PBX channel list failed');
      })
      .finally(() => {
        reconciling = null;
        if (again) {
          again = false;
          reconcile();
        }
      });
  };

  // The last flush is final only once no AMI event can change the state after it: what the
  // PBX says from here on is for the next start (or the next leader) to reconcile.
  const unfollow = async (): Promise<void> => {
    following = false;
    o.ami.off('event', follow);
    o.ami.off('connected', reconnected);
    if (reconcileTimer) clearInterval(reconcileTimer);
    reconcileTimer = null;
    while (reconciling) await reconciling;
    await tracker.stop();
    tracker.reset();
  };

  const clicks: ClickToCallDeps = {
    store, routing: o.routing, originator: o.ami, clock, logger: o.logger.child({ component: 'click-to-call' }),
    newId: randomHexIds(8),
    channelTemplate: o.env.ORIGINATE_CHANNEL, context: o.env.ORIGINATE_CONTEXT, timeoutMs: o.env.ORIGINATE_TIMEOUT_MS,
    channels: routes.channels, onPlanned: (call) => routes.remember(call),
    recordOriginate: (callId, actionId) => routes.recordOriginate(callId, actionId),
  };

  return {
    store,
    routes,
    tracker,
    inbound,
    clickToCall: (input) => originateClickToCall(clicks, input),
    planClick: (input) => planClickToCall(clicks, input),
    dialClick: (planned) => dialPlanned(clicks, planned),
    async placed(crmCallId) {
      const call = await store.findByCrmCallId(crmCallId);
      // Refused, or the Originate never reached the PBX: not placed.
      return call !== null && call.refusalCode === null && !(call.state === 'ended' && call.originateActionId === null);
    },
    routeRouter() {
      return createRouteRouter({ service: routes, logger: o.logger.child({ component: 'http-route' }), token: o.env.AGI_HTTP_TOKEN ?? o.env.ADMIN_TOKEN });
    },
    async start() {
      if (!leading) {
        o.ami.on('event', hungUp);
        const lead = async (): Promise<void> => {
          // Loaded afresh: the previous holder may have closed or changed calls meanwhile.
          await tracker.start();
          following = true;
          o.ami.on('event', follow);
          o.ami.on('connected', reconnected);
          reconcileTimer = setInterval(reconcile, o.env.TRACKER_RECONCILE_MS);
          reconcileTimer.unref();
          reconcile();
        };
        if (o.leader) {
          const w = whileLeader(o.leader.gate, lead, unfollow, o.logger);
          leading = w;
          await w.settled();
        } else {
          await lead();
          leading = { stop: unfollow };
        }
      }
      await channels.start();
      server = await startFastAgiServer({
        host: o.env.AGI_HOST, port: o.env.AGI_PORT, service: routes, inbound, logger: o.logger.child({ component: 'fastagi' }),
        commandTimeoutMs: o.env.AGI_COMMAND_TIMEOUT_MS, allow: parsePeerAllowlist(o.env.AGI_ALLOW), secret: o.env.AGI_SECRET ?? null,
        routeDeadlineMs: o.env.AGI_ROUTE_DEADLINE_MS, now: () => clock.now(),
      });
      return { fastAgi: server };
    },
    async stop() {
      stopping.abort();
      await server?.close();
      server = null;
      await routes.drain();
      await channels.stop();
      await leading?.stop();
      leading = null;
      o.ami.off('event', hungUp);
    },
  };
}
