import { storedCallOf, type StoredCall, type StoredPlan } from '../calls/call-record.ts';
import { planOf } from '../calls/plan.ts';
import type { CallStore, Clock, NewCall } from '../calls/ports.ts';
import { routeCall, type RoutingDeps } from '../routing/route-call.ts';

/** A customer leg the routing accepted, not stored yet. */
export interface RoutedLeg {
  readonly e164: string;
  readonly plan: StoredPlan;
}

export type LegRouting = { readonly ok: true; readonly leg: RoutedLeg } | { readonly ok: false; readonly code: string; readonly message: string };

export interface CustomerLegDeps {
  readonly store: Pick<CallStore, 'createCall' | 'updateCall'>;
  readonly routing: RoutingDeps;
  readonly clock: Clock;
  /** Channels in use per trunk (the routing skips full trunks). */
  readonly busyChannels: () => Readonly<Record<string, number>>;
  /** The route service keeps the planned call in memory: its route requests read no database. */
  readonly remember: (call: StoredCall) => void;
}

/**
 * The customer leg goes through the connector's own outbound routing, as any other call:
 * the campaign's department is the caller (its trunk whitelist, caller-ID numbers), origin
 * `dialer` (DECISIONS §8). A campaign never bypasses it. Every attempt rings at least
 * `ringSeconds`, so no customer is given up on before that.
 */
export class CustomerLegs {
  constructor(private readonly deps: CustomerLegDeps) {}

  route(digits: string, department: string, ringSeconds: number): LegRouting {
    const decision = routeCall(this.deps.routing, {
      department, number: `+${digits}`, numberIsInternational: true, origin: 'dialer', busyChannels: this.deps.busyChannels(),
    });
    if (decision.refused || decision.number === null) {
      return { ok: false, code: decision.refused?.code ?? 'INVALID_NUMBER', message: decision.refused?.message ?? 'invalid number' };
    }
    const plan = planOf(decision, this.deps.routing.rules.current());
    const attempts = plan.attempts.map((a) => ({ ...a, ringTimeout: Math.max(a.ringTimeout, ringSeconds) }));
    return { ok: true, leg: { e164: decision.number.e164, plan: { ...plan, attempts } } };
  }

  /**
   * Stores the call row before the Originate. `routeChannel` is the channel whose route requests
   * the dialplan sends; `linkedid` the Originate's first channel (the oldest of the call).
   */
  async store(leg: RoutedLeg, ids: { readonly callId: string; readonly routeChannel: string; readonly linkedid: string; readonly operatorId: string | null; readonly crmCallId: string | null }): Promise<void> {
    const call: NewCall = {
      id: ids.callId,
      crmCallId: ids.crmCallId,
      channelId: ids.routeChannel,
      linkedid: ids.linkedid,
      origin: 'dialer',
      // The operator talks to the customer: the CRM writes the call to them.
      userId: ids.operatorId,
      extension: null,
      number: leg.e164,
      numberE164: leg.e164,
      line: null,
      state: 'planned',
      plan: leg.plan,
      refusalCode: null,
      refusalMessage: null,
      startedAt: this.deps.clock.now(),
    };
    const stored = await this.deps.store.createCall(call);
    if (!stored.created) throw new Error(`call ${ids.callId} is stored already`);
    this.deps.remember(storedCallOf(call));
  }

  /**
   * A stored leg whose Originate never reached the PBX ends now (503, the direction unavailable)
   * and is handed to the CRM like any ended call: the card's register gets its finish.
   */
  async abandon(callId: string, reason: string): Promise<void> {
    await this.deps.store.updateCall(callId, { state: 'ended', statusCode: '503', failedReason: reason, endedAt: this.deps.clock.now(), crmHandoff: 'pending' });
  }

  /** The operator who took a ratio/predictive call: the call's record goes to them (its CRM call comes from the card's register). */
  async attach(callId: string, operatorId: string): Promise<void> {
    await this.deps.store.updateCall(callId, { userId: operatorId });
  }
}
