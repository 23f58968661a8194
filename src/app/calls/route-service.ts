import type { Logger } from '../../adapters/logging/logger.ts';
import { routeStep } from '../../core/calls/route-step.ts';
import type { Attempt } from '../../core/routing/types.ts';
import { routeCall, type RoutingDeps } from '../routing/route-call.ts';
import type { CallAttemptRecord, StoredCall } from './call-record.ts';
import { ChannelCounter } from './channel-counter.ts';
import { planOf } from './plan.ts';
import type { CallStore, Clock } from './ports.ts';

/** One route request as the dialplan sends it (FastAGI arguments or the HTTP query). */
export interface RouteQuery {
  /** ${EXTEN}: the number dialled. */
  readonly exten: string;
  /** ${ATTEMPT}: 1 for the first attempt of the call. */
  readonly attemptNo: number;
  /** ${DIALSTATUS} / ${HANGUPCAUSE} of the previous attempt (empty / 0 on attempt 1). */
  readonly dialStatus: string;
  readonly hangupCause: number | null;
  /** The requesting channel's uniqueid (a click-to-call's Originate ChannelId). */
  readonly uniqueid: string;
  /** The channel's caller number (agi_callerid), the last resort to identify a desk phone. */
  readonly callerIdNum: string | null;
}

/** Channel facts the service reads only when it needs them (each is a round trip over FastAGI). */
export interface ChannelProbe {
  /** CONNECTOR_CALL_ID, set by a click-to-call's Originate. */
  callIdVariable(): Promise<string | null>;
  /** CONNECTOR_EXTEN, the caller's number stored by the dialplan before the loop. */
  callerExtension(): Promise<string | null>;
  /** ${CHANNEL(linkedid)} (DECISIONS §16). */
  linkedid(): Promise<string | null>;
}

export type RouteAnswer =
  | {
    readonly action: 'dial';
    readonly callId: string;
    readonly attemptNo: number;
    readonly trunkId: string;
    readonly dial: string;
    /** Digits without `+` (the captures' form), empty when the trunk presents its own number. */
    readonly callerId: string;
    readonly timeout: number;
    /** 0 for excluded numbers: the dialplan skips MixMonitor (DECISIONS §18). */
    readonly record: boolean;
  }
  | { readonly action: 'stop'; readonly callId: string | null; readonly code: string; readonly reason: string };

export interface RouteServiceDeps {
  readonly store: CallStore;
  readonly routing: RoutingDeps;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly channels?: ChannelCounter;
}

/**
 * Answers the dialplan's route requests (FastAGI and HTTP alike): identifies the call (DECISIONS §15),
 * computes and stores its plan once on the first attempt (§6), records each attempt and the outcome
 * of the previous one, and rotates or stops (§7, §9).
 */
export class RouteService {
  readonly channels: ChannelCounter;

  constructor(private readonly deps: RouteServiceDeps) {
    this.channels = deps.channels ?? new ChannelCounter();
  }

  async route(query: RouteQuery, probe: ChannelProbe): Promise<RouteAnswer> {
    const { store, clock } = this.deps;
    let call = await this.identify(query, probe);
    const linkedid = await probe.linkedid();
    if (call === null) {
      if (query.attemptNo > 1) return this.stop(null, 'no-call', `no stored route for channel ${query.uniqueid} at attempt ${query.attemptNo}`, query);
      call = await this.startDeskCall(query, probe, linkedid);
    } else if (linkedid !== null && linkedid !== call.linkedid) {
      await store.updateCall(call.id, { linkedid });
    }
    if (call.plan === null) {
      const reason = call.refusalMessage ?? 'the call was refused when it was planned';
      if (call.state !== 'stopped') await store.updateCall(call.id, { state: 'stopped', stopReason: reason });
      return this.stop(call.id, call.refusalCode ?? 'refused', reason, query);
    }

    const attempts = await store.listAttempts(call.id);
    const repeated = attempts.find((a) => a.attemptNo === query.attemptNo);
    if (repeated && repeated.trunkId !== null) {
      // The dialplan asked again for an attempt already answered (a retried AGI): same answer.
      return this.dialAnswer(call, query.attemptNo, repeated);
    }
    const previous = attempts.find((a) => a.attemptNo === query.attemptNo - 1) ?? null;
    const step = routeStep({
      plan: call.plan,
      attemptNo: query.attemptNo,
      previous,
      dialStatus: query.dialStatus,
      hangupCause: query.hangupCause,
      rules: this.deps.routing.rules.current(),
      trunks: { busyChannels: this.channels.busy() },
    });
    const now = clock.now();
    if (previous !== null && previous.dialStatus === null && step.previousDecision !== null) {
      await store.setAttemptOutcome(call.id, previous.attemptNo, {
        dialStatus: query.dialStatus, hangupCause: query.hangupCause, decision: step.previousDecision, source: 'agi', endedAt: now,
      });
    }
    this.channels.release(call.id);
    if (step.kind === 'stop') {
      await store.updateCall(call.id, { state: 'stopped', stopReason: step.reason });
      return this.stop(call.id, step.code, step.reason, query);
    }
    await store.addAttempt({
      callId: call.id,
      attemptNo: query.attemptNo,
      planIndex: step.planIndex,
      trunkId: step.attempt.trunk,
      dial: step.attempt.dial,
      callerId: step.attempt.callerId,
      tier: step.attempt.tier,
      perMinute: step.attempt.perMinute,
      linkedid,
      startedAt: now,
    });
    if (call.state !== 'routing') await store.updateCall(call.id, { state: 'routing' });
    this.channels.acquire(call.id, step.attempt.trunk);
    const answer = this.dialAnswer(call, query.attemptNo, toRecordLike(step.attempt, step.planIndex));
    this.deps.logger.info({ callId: call.id, attempt: query.attemptNo, trunk: answer.trunkId, previous: step.previousDecision }, 'route: dial');
    return answer;
  }

  /**
   * The channel hung up before it got the answer: the attempt was stored but never dialled. Its
   * outcome is CANCEL (the caller gave up) and its channel is free.
   */
  async abandon(answer: Extract<RouteAnswer, { action: 'dial' }>): Promise<void> {
    this.channels.release(answer.callId);
    await this.deps.store.setAttemptOutcome(answer.callId, answer.attemptNo, {
      dialStatus: 'CANCEL', hangupCause: null, decision: 'stop', source: 'agi', endedAt: this.deps.clock.now(),
    });
  }

  /** The call ended (the tracker saw its last Hangup): its trunk channel is free again. */
  callEnded(callId: string): void {
    this.channels.release(callId);
  }

  private async identify(query: RouteQuery, probe: ChannelProbe): Promise<StoredCall | null> {
    const { store } = this.deps;
    const byChannel = query.uniqueid !== '' ? await store.findByChannelId(query.uniqueid) : null;
    if (byChannel) return byChannel;
    const callId = await probe.callIdVariable();
    if (callId === null || callId === '') return null;
    return (await store.findByCrmCallId(callId)) ?? (await store.getCall(callId));
  }

  /** Neither ChannelId nor the call id variable: a call dialled on a desk phone (DECISIONS §15, §19). */
  private async startDeskCall(query: RouteQuery, probe: ChannelProbe, linkedid: string | null): Promise<StoredCall> {
    const extension = (await probe.callerExtension()) || query.callerIdNum || null;
    const rules = this.deps.routing.rules.current();
    const decision = routeCall(this.deps.routing, {
      extension, number: query.exten, origin: 'phone', busyChannels: this.channels.busy(),
    });
    const refused = decision.refused;
    const { call } = await this.deps.store.createCall({
      id: `desk-${query.uniqueid}`,
      crmCallId: null,
      channelId: query.uniqueid,
      linkedid,
      origin: 'phone',
      userId: decision.user,
      extension,
      number: query.exten,
      numberE164: decision.number?.e164 ?? null,
      line: null,
      state: refused ? 'stopped' : 'planned',
      plan: refused ? null : planOf(decision, rules),
      refusalCode: refused?.code ?? null,
      refusalMessage: refused?.message ?? null,
      startedAt: this.deps.clock.now(),
    });
    return call;
  }

  private dialAnswer(call: StoredCall, attemptNo: number, a: Pick<CallAttemptRecord, 'trunkId' | 'dial' | 'callerId' | 'planIndex'>): Extract<RouteAnswer, { action: 'dial' }> {
    const planned = a.planIndex !== null ? call.plan?.attempts[a.planIndex] : undefined;
    return {
      action: 'dial',
      callId: call.id,
      attemptNo,
      trunkId: a.trunkId ?? '',
      dial: a.dial,
      callerId: (a.callerId ?? '').replace(/^\+/, ''),
      timeout: planned?.ringTimeout ?? 60,
      record: call.plan?.record ?? true,
    };
  }

  private stop(callId: string | null, code: string, reason: string, query: RouteQuery): RouteAnswer {
    this.deps.logger.info({ callId, attempt: query.attemptNo, exten: query.exten, code, reason }, 'route: stop');
    return { action: 'stop', callId, code, reason };
  }
}

function toRecordLike(attempt: Attempt, planIndex: number): Pick<CallAttemptRecord, 'trunkId' | 'dial' | 'callerId' | 'planIndex'> {
  return { trunkId: attempt.trunk, dial: attempt.dial, callerId: attempt.callerId, planIndex };
}
