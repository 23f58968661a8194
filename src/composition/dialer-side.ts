import crypto from 'node:crypto';
import { AmiDialerPbx, type DialerAmi } from '../adapters/asterisk/ami/dialer-pbx.ts';
import type { Db } from '../adapters/db/connection.ts';
import { DialerRepository } from '../adapters/db/repositories/dialer-repository.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import type { Env } from '../config/env.ts';
import type { LeaderGate } from '../app/leadership/leadership.ts';
import type { RoutingDeps } from '../app/routing/route-call.ts';
import { systemClock } from '../app/calls/ports.ts';
import { CustomerLegs } from '../app/dialer/customer-leg.ts';
import { DialerCycle } from '../app/dialer/cycle.ts';
import type { DialerStore } from '../app/dialer/ports.ts';
import { timezoneOfRegion } from '../core/pacing/region-timezone.ts';
import type { CallsSide } from './calls-side.ts';
import { bitrix24LeadCard, type LeadCardDeps } from './dialer-crm.ts';

type AmiEvent = Readonly<Record<string, string>>;

export interface DialerSideOptions {
  readonly db: Db;
  readonly env: Readonly<Env>;
  readonly logger: Logger;
  readonly routing: RoutingDeps;
  readonly calls: CallsSide;
  readonly ami: (DialerAmi & { on(event: 'event', l: (e: AmiEvent) => void): unknown; off(event: 'event', l: (e: AmiEvent) => void): unknown }) | null;
  /** The Bitrix24 gateway once the app is installed (the lead card's show). */
  readonly crm: () => B24Gateway | null;
  /** The CRM outbox and its worker: the lead card's register is a durable CRM write. */
  readonly outbox: LeadCardDeps['outbox'];
  readonly results: LeadCardDeps['results'];
  /** The PBX's leader: only it runs the cycle (one dialer per PBX, however many instances). */
  readonly leader: LeaderGate;
}

export interface DialerSide {
  readonly store: DialerStore;
  readonly cycle: DialerCycle | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The auto-dialer wired: its store, the AMI side (Originate, device states, the dialplan's
 * reports) and the call cycle on a timer, on the PBX's leader only. Customer legs go through the
 * calls side's routing and tracking like any other call.
 */
export function createDialerSide(o: DialerSideOptions): DialerSide {
  const store = new DialerRepository(o.db);
  if (!o.ami || o.env.DIALER_TICK_MS === 0) return { store, cycle: null, start: async () => undefined, stop: async () => undefined };
  const ami = o.ami;
  const pbx = new AmiDialerPbx(ami);
  const logger = o.logger.child({ component: 'dialer' });
  const legs = new CustomerLegs({
    store: o.calls.store, routing: o.routing, clock: systemClock,
    busyChannels: () => o.calls.routes.channels.busy(),
    remember: (call) => o.calls.routes.remember(call),
  });
  const cycle = new DialerCycle({
    store, pbx, legs, clock: systemClock, logger,
    card: bitrix24LeadCard({ outbox: o.outbox, results: o.results, gateway: o.crm, rules: o.routing.rules, now: () => Date.now(), logger }),
    newId: () => crypto.randomBytes(8).toString('hex'),
    timezoneOf: (digits) => timezoneOfRegion(o.routing.carriers.current().lookup(digits).region),
    operatorRingSeconds: o.env.DIALER_OPERATOR_RING_S,
  });
  const onEvent = (e: AmiEvent): void => {
    const report = pbx.eventOf(e);
    if (report) void cycle.handle(report).catch((err: unknown) => logger.error({ err, callId: report.callId, kind: report.kind }, 'dialer: handling a PBX report failed'));
  };
  let timer: NodeJS.Timeout | null = null;
  let dncTimer: NodeJS.Timeout | null = null;
  const tick = (): void => {
    if (o.leader.term() === null) return;
    cycle.tick().catch((err: unknown) => logger.error({ err }, 'dialer: a cycle pass failed'));
  };
  return {
    store,
    cycle,
    async start() {
      await cycle.reloadDnc();
      ami.on('event', onEvent);
      timer = setInterval(tick, o.env.DIALER_TICK_MS);
      // Every instance re-reads the list: a change made through any of them applies within 5 s.
      dncTimer = setInterval(() => { cycle.reloadDnc().catch((err: unknown) => logger.warn({ err }, 'dialer: reloading the do-not-call list failed')); }, 5000);
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (dncTimer) clearInterval(dncTimer);
      ami.off('event', onEvent);
      await cycle.idle();
    },
  };
}
