import type { Logger } from '../../adapters/logging/logger.ts';
import type { RouteQuery } from '../../core/calls/route-query.ts';
import { routeStep, type RouteStep, type RouteStepInput } from '../../core/calls/route-step.ts';
import { classifyOutcome } from '../../core/outcome/classify.ts';
import { numberAsReceived } from '../../core/phone/as-received.ts';
import { forwardDepartment, isForwardCaller } from '../../core/scenarios/forward-caller.ts';
import type { OutcomeDecision } from '../../core/rules/model.ts';
import type { Attempt } from '../../core/routing/types.ts';
import { routeCall, type RoutingDeps } from '../routing/route-call.ts';
import { storedCallOf as storedOf, type CallAttemptRecord, type CallState, type StoredCall } from './call-record.ts';
import { ChannelCounter } from './channel-counter.ts';
import { planOf } from './plan.ts';
import type { CallStore, Clock, NewAttempt, NewCall, RouteStepWrite } from './ports.ts';
import { RouteCache, type RoutingEntry } from './route-cache.ts';
import { RouteWriter } from './route-writer.ts';

/** Click-to-call ids and ChannelIds start with this (click-to-call.ts). */
export const CLICK_TO_CALL_PREFIX = 'c2c-';

/** One route request as the dialplan sends it (FastAGI arguments or the HTTP query). */
export type { RouteQuery };

/** Channel facts the service may need (over FastAGI each is a GET VARIABLE). */
export interface ChannelFacts {
  /** CONNECTOR_CALL_ID, set by a click-to-call's Originate. */
  readonly callId: string | null;
  /** CONNECTOR_EXTEN, the caller's number stored by the dialplan before the loop. */
  readonly callerExtension: string | null;
  /** ${CHANNEL(linkedid)} (DECISIONS §16). */
  readonly linkedid: string | null;
}

export interface ChannelProbe {
  /** Reads only the facts asked for, in one go (FastAGI pipelines the GET VARIABLEs). */
  read(want: { readonly [K in keyof ChannelFacts]?: boolean }): Promise<Partial<ChannelFacts>>;
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
  | { readonly action: 'stop'; readonly callId: string | null; readonly code: string; readonly reason: string }
  /** No usable route after a technical failure: the dialplan places the call on its fail-open trunk (DECISIONS §10). */
  | { readonly action: 'failopen'; readonly callId: null; readonly reason: string };

export interface RouteServiceDeps {
  readonly store: CallStore;
  readonly routing: RoutingDeps;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly channels?: ChannelCounter;
  /**
   * Look a new desk-phone call's channel up in the database before planning it, so a first request
   * retried after a restart finds its stored call. Off by default: no database read on the hot
   * path; such a duplicate is refused by the unique channel id when written (and logged).
   */
  readonly checkStoredDeskCalls?: boolean;
  /** Told of every channel the connector has business with (a route request, a click-to-call): the tracker follows its call. */
  readonly follow?: (uniqueid: string, linkedid: string | null) => void;
}

/**
 * Answers the dialplan's route requests (FastAGI and HTTP alike): identifies the call (DECISIONS §15),
 * computes and stores its plan once on the first attempt (§6), records each attempt and the outcome
 * of the previous one, and rotates or stops (§7, §9).
 */
export class RouteService {
  readonly channels: ChannelCounter;
  private readonly writer: RouteWriter;
  private readonly cache = new RouteCache();

  constructor(private readonly deps: RouteServiceDeps) {
    this.channels = deps.channels ?? new ChannelCounter();
    this.writer = new RouteWriter(deps.store, deps.logger);
  }

  async route(query: RouteQuery, probe: ChannelProbe): Promise<RouteAnswer> {
    const found = await this.identify(query, probe);
    const linkedid = found.facts.linkedid ?? null;
    if (query.uniqueid !== '') this.deps.follow?.(query.uniqueid, linkedid);
    let entry = found.entry;
    let newCall: NewCall | undefined;
    if (entry === null) {
      if (query.attemptNo > 1) return this.unknownLaterAttempt(query);
      newCall = this.deskCall(query, found.facts, linkedid);
      entry = { call: storedOf(newCall), attempts: [], own: true };
    }
    const call = entry.call;
    const update: { linkedid?: string; state?: CallState; stopReason?: string } = {};
    if (!newCall && linkedid !== null && linkedid !== call.linkedid) update.linkedid = linkedid;
    if (call.plan === null) {
      const reason = call.refusalMessage ?? 'the call was refused when it was planned';
      if (newCall || call.state !== 'stopped') this.persist({ callId: call.id, ...(newCall ? { newCall } : {}), update: newCall ? {} : { ...update, state: 'stopped', stopReason: reason } }, query);
      this.cache.delete(call.id);
      return this.stop(call.id, call.refusalCode ?? 'refused', reason, query);
    }

    const repeated = entry.attempts.find((a) => a.attemptNo === query.attemptNo);
    if (repeated && repeated.trunkId !== null) {
      // The dialplan asked again for an attempt already answered (a retried AGI): same answer.
      return this.dialAnswer(call, query.attemptNo, repeated);
    }
    const previous = entry.attempts.find((a) => a.attemptNo === query.attemptNo - 1) ?? null;
    const health = this.deps.routing.health;
    const stepInput: RouteStepInput = {
      plan: call.plan,
      attemptNo: query.attemptNo,
      previous,
      dialStatus: query.dialStatus,
      hangupCause: query.hangupCause,
      rules: this.deps.routing.rules.current(),
      trunks: health ? { busyChannels: this.channels.busy(), health: health.snapshot() } : { busyChannels: this.channels.busy() },
    };
    let step = routeStep(stepInput);
    let claimed = false;
    // Deciding and taking stay in one synchronous stretch unless a reservation must be awaited.
    if (step.kind === 'dial' && this.needsReservation(step.attempt.trunk)) ({ step, claimed } = await this.reserve(stepInput, step, call.id));
    const now = this.deps.clock.now();
    let outcome: RouteStepWrite['outcome'];
    if (previous !== null && previous.dialStatus === null && step.previousDecision !== null) {
      outcome = { attemptNo: previous.attemptNo, outcome: { dialStatus: query.dialStatus, hangupCause: query.hangupCause, decision: step.previousDecision, source: 'agi', endedAt: now } };
      const i = entry.attempts.indexOf(previous);
      entry.attempts[i] = { ...previous, dialStatus: query.dialStatus, hangupCause: query.hangupCause, decision: step.previousDecision, outcomeSource: 'agi', endedAt: now };
    }
    this.channels.release(call.id);
    if (step.kind === 'stop') {
      this.persist({ callId: call.id, ...(newCall ? { newCall: { ...newCall, state: 'stopped' } } : {}), ...(outcome ? { outcome } : {}), update: { ...update, state: 'stopped', stopReason: step.reason } }, query);
      if (outcome) this.healthOutcome(call.id, previous?.trunkId ?? null, outcome.outcome.decision);
      this.cache.delete(call.id);
      return this.stop(call.id, step.code, step.reason, query);
    }
    if (call.state !== 'routing') update.state = 'routing';
    const attempt: NewAttempt = {
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
    };
    this.persist({
      callId: call.id,
      ...(newCall ? { newCall: { ...newCall, state: 'routing' } } : {}),
      ...(outcome ? { outcome } : {}),
      attempt,
      update: newCall ? {} : update,
    }, query);
    if (outcome) this.healthOutcome(call.id, previous?.trunkId ?? null, outcome.outcome.decision);
    health?.started(step.attempt.trunk, now);
    entry.call = { ...call, state: 'routing', linkedid: linkedid ?? call.linkedid };
    const { callId: _callId, ...stored } = attempt;
    entry.attempts.push({ ...stored, dialStatus: null, hangupCause: null, decision: null, outcomeSource: null, endedAt: null });
    this.cache.set(query.uniqueid, entry);
    this.channels.acquire(call.id, step.attempt.trunk);
    if (claimed) {
      const trunk = step.attempt.trunk;
      void this.writer.settled(call.id).then(() => this.channels.claimStored(trunk, call.id));
    }
    const answer = this.dialAnswer(call, query.attemptNo, toRecordLike(step.attempt, step.planIndex));
    this.deps.logger.debug({ callId: call.id, attempt: query.attemptNo, trunk: answer.trunkId, previous: step.previousDecision }, 'route: dial');
    return answer;
  }

  /**
   * The call and attempts of a channel this instance planned and has routed since, as stored once
   * `drain()` has resolved; undefined when only the database knows (the tracker reads it there).
   */
  known(uniqueid: string): { readonly call: StoredCall; readonly attempts: readonly CallAttemptRecord[] } | undefined {
    const entry = this.cache.get(uniqueid);
    return entry?.own === true ? entry : undefined;
  }

  /** A call planned elsewhere in this process (click-to-call): its first route request needs no database read. */
  remember(call: StoredCall): void {
    if (call.channelId !== null && call.plan !== null) this.cache.set(call.channelId, { call, attempts: [] });
    if (call.channelId !== null) this.deps.follow?.(call.channelId, call.linkedid);
  }

  /**
   * The channel hung up before it got the answer: the attempt was stored but never dialled. Its
   * outcome is CANCEL (the caller gave up) and its channel is free.
   */
  async abandon(answer: Extract<RouteAnswer, { action: 'dial' }>): Promise<void> {
    this.channels.release(answer.callId);
    this.cache.delete(answer.callId);
    await this.writer.settled(answer.callId);
    await this.deps.store.setAttemptOutcome(answer.callId, answer.attemptNo, {
      dialStatus: 'CANCEL', hangupCause: null, decision: 'stop', source: 'agi', endedAt: this.deps.clock.now(),
    });
  }

  /** Stores a click-to-call's Originate ActionID with the route steps (same write-behind, same order). */
  recordOriginate(callId: string, actionId: string): Promise<void> {
    return this.writer.enqueue({ callId, update: { originateActionId: actionId } }, [callId]);
  }

  /** Resolves once every route step answered so far is stored (the tracker calls it before closing calls). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /** Stores a step behind the answer (RouteWriter); a failure is logged, the answer stands. */
  private persist(write: RouteStepWrite, query: RouteQuery): void {
    this.writer.enqueue(write, [write.callId, query.uniqueid]).catch((err: unknown) => {
      this.deps.logger.error({ callId: write.callId, attempt: query.attemptNo, err }, 'route: storing the route step failed');
    });
  }

  /**
   * A channel this instance routed hung up: its trunk channel is free. Instances that do not
   * follow calls (not the PBX's leader) learn of call ends only this way.
   */
  channelHungUp(uniqueid: string): void {
    const entry = this.cache.get(uniqueid);
    if (entry) this.callEnded(entry.call.id);
    this.cache.delete(uniqueid);
  }

  /** Trunk health counts this outcome once it is stored (the breaker reads stored attempts). */
  private healthOutcome(callId: string, trunkId: string | null, decision: OutcomeDecision | null): void {
    const health = this.deps.routing.health;
    if (!health || trunkId === null || decision === null) return;
    void this.writer.settled(callId).then(() => health.outcome(trunkId, decision))
      .catch((err: unknown) => this.deps.logger.warn({ err, trunk: trunkId }, 'trunk health: counting an outcome failed'));
  }

  /** Whether taking this trunk needs an atomic reservation first: its last free channel, or a SIM's minimum gap. */
  private needsReservation(trunkId: string): boolean {
    return this.isLastChannel(trunkId) || (this.deps.routing.health?.needsReservation(trunkId) ?? false);
  }

  private isLastChannel(trunkId: string): boolean {
    const limit = this.deps.routing.rules.current().trunkById.get(trunkId)?.trunk.channels ?? null;
    return limit !== null && this.channels.inUse(trunkId) + 1 >= limit;
  }

  /**
   * A trunk's last free channel and a SIM's minimum gap are taken atomically (several instances,
   * and several requests of this one, may route at once); when another call just took one, the
   * next stored entry is tried instead.
   */
  private async reserve(input: RouteStepInput, first: RouteStep, callId: string): Promise<{ step: RouteStep; claimed: boolean }> {
    const taken: string[] = [];
    const health = this.deps.routing.health;
    let step = first;
    while (step.kind === 'dial' && this.needsReservation(step.attempt.trunk)) {
      const trunk = step.attempt.trunk;
      const last = this.isLastChannel(trunk);
      if (!last || await this.channels.claimLast(trunk, callId)) {
        if (!health?.needsReservation(trunk) || await health.reserve(trunk, this.deps.clock.now())) return { step, claimed: last };
        if (last) this.channels.dropClaim(trunk, callId);
      }
      taken.push(trunk);
      step = routeStep({ ...input, trunks: { ...input.trunks, downTrunks: taken } });
    }
    return { step, claimed: false };
  }

  /** The call ended (the tracker saw its last Hangup): its trunk channel (`trunkId`, if known) is free again. */
  callEnded(callId: string, trunkId: string | null = null): void {
    this.channels.ended(callId, trunkId);
    this.cache.delete(callId);
  }

  /**
   * DECISIONS §15: the Originate's ChannelId is agi_uniqueid; else the call id variable; else a desk
   * phone. Calls this instance is routing come from memory; the database is read only on a miss
   * (a restart, another instance), after any write of that channel still in flight.
   */
  private async identify(query: RouteQuery, probe: ChannelProbe): Promise<{ entry: RoutingEntry | null; facts: Partial<ChannelFacts> }> {
    const cached = query.uniqueid !== '' ? this.cache.get(query.uniqueid) : undefined;
    // A channel's Linkedid never changes: once known (read at an earlier attempt, or a click-to-call's
    // ChannelId), it is not asked again — one round trip less on the hot path.
    if (cached) return { entry: cached, facts: cached.call.linkedid !== null ? { linkedid: cached.call.linkedid } : await probe.read({ linkedid: true }) };
    const { store } = this.deps;
    await this.writer.settled(query.uniqueid);
    // Click-to-call ChannelIds are recognisable (c2c-…): look those up directly; a desk phone's
    // first request needs no read.
    const stored = query.attemptNo > 1 || query.uniqueid.startsWith(CLICK_TO_CALL_PREFIX);
    const byChannel = stored && query.uniqueid !== '' ? await store.findByChannelId(query.uniqueid) : null;
    if (byChannel) return { entry: await this.load(byChannel), facts: await probe.read({ linkedid: true }) };
    // Everything a first request may need, asked in one go.
    const facts = await probe.read({ callId: true, callerExtension: true, linkedid: true });
    const callId = facts.callId ?? null;
    let call: StoredCall | null = null;
    if (callId !== null && callId !== '') call = (await store.findByCrmCallId(callId)) ?? (await store.getCall(callId));
    // A first request with no call id is a new desk-phone call; a later one may be a channel we lost.
    if (call === null && query.attemptNo > 1) call = await store.findByChannelId(query.uniqueid);
    if (call === null && query.attemptNo === 1 && callId === null && query.uniqueid !== '') {
      // A first request retried after a restart: the call may be stored already.
      call = this.deps.checkStoredDeskCalls === true ? await store.findByChannelId(query.uniqueid) : null;
    }
    return { entry: call ? await this.load(call) : null, facts };
  }

  private async load(call: StoredCall): Promise<RoutingEntry> {
    await this.writer.settled(call.id);
    const entry = { call, attempts: await this.deps.store.listAttempts(call.id) };
    if (call.channelId !== null) this.cache.set(call.channelId, entry);
    return entry;
  }

  /** A call dialled on a desk phone (DECISIONS §15, §19): planned now, routed by the caller's extension. */
  private deskCall(query: RouteQuery, facts: Partial<ChannelFacts>, linkedid: string | null): NewCall {
    const extension = facts.callerExtension || query.callerIdNum || null;
    const rules = this.deps.routing.rules.current();
    // An inbound scenario's forward: placed on the scenario department's behalf, not a phone's.
    const forward = isForwardCaller(extension);
    const origin = forward ? 'inbound' : 'phone';
    const decision = routeCall(this.deps.routing, forward
      ? { department: forwardDepartment(extension), number: query.exten, origin, busyChannels: this.channels.busy() }
      : { extension, number: query.exten, origin, busyChannels: this.channels.busy() });
    const refused = decision.refused;
    return {
      id: `desk-${query.uniqueid}`,
      crmCallId: null,
      channelId: query.uniqueid,
      linkedid,
      origin,
      userId: decision.user,
      extension,
      number: numberAsReceived(query.exten),
      numberE164: decision.number?.e164 ?? null,
      line: null,
      state: refused ? 'stopped' : 'planned',
      plan: refused ? null : planOf(decision, rules),
      refusalCode: refused?.code ?? null,
      refusalMessage: refused?.message ?? null,
      startedAt: this.deps.clock.now(),
    };
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

  /**
   * A later attempt of a channel nothing is known of (its first route step was lost with a crashed
   * process, or another instance answered it and never stored it). After a technical failure the
   * dialplan has no usable route: fail open, as it would with the connector down, rather than drop
   * the call. After the callee's own answer the route ends anyway (a dialplan that still asks).
   */
  private unknownLaterAttempt(query: RouteQuery): RouteAnswer {
    const reason = `no stored route for channel ${query.uniqueid} at attempt ${query.attemptNo}`;
    if (classifyOutcome(query.dialStatus, query.hangupCause) === 'stop') return this.stop(null, 'no-call', reason, query);
    this.deps.logger.warn({ attempt: query.attemptNo, exten: query.exten, uniqueid: query.uniqueid, dialStatus: query.dialStatus, hangupCause: query.hangupCause }, `route: ${reason} after a technical failure: answering fail-open`);
    return { action: 'failopen', callId: null, reason };
  }

  private stop(callId: string | null, code: string, reason: string, query: RouteQuery): RouteAnswer {
    this.deps.logger.info({ callId, attempt: query.attemptNo, exten: query.exten, code, reason }, 'route: stop');
    return { action: 'stop', callId, code, reason };
  }
}

function toRecordLike(attempt: Attempt, planIndex: number): Pick<CallAttemptRecord, 'trunkId' | 'dial' | 'callerId' | 'planIndex'> {
  return { trunkId: attempt.trunk, dial: attempt.dial, callerId: attempt.callerId, planIndex };
}
