import type { CrmEventsRepository, StoredCrmEvent } from '../../adapters/db/repositories/crm-events-repository.ts';
import type { OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import { eventDigest, flatData, type B24Event } from '../../adapters/bitrix24/event.ts';
import { silentLogger, type Logger } from '../../adapters/logging/logger.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import { callIdTimeMs, clickFreshness, type Freshness } from '../../core/clicks/freshness.ts';
import type { CrmClock } from './clock.ts';
import { isCrmWhitelisted, isExcludedNumber } from './crm-policy.ts';
import { isoWithZone } from './call-record-writes.ts';
import {
  refusalStatusCode, type ClickPlan, type ClickToCallPort, type ClickToCallRequest, type ClickToCallResult, type ClickIntake,
} from './ports.ts';

export const CALL_START = 'ONEXTERNALCALLSTART';
export const CALLBACK_START = 'ONEXTERNALCALLBACKSTART';
export const HANDLED_EVENTS: readonly string[] = [CALL_START, CALLBACK_START];

/** Waits for an outbox entry's result (the OutboxWorker). */
export interface OutboxResults {
  waitFor(id: number, timeoutMs: number): Promise<unknown>;
  notify(): void;
}

export interface CrmEventsOptions {
  readonly events: CrmEventsRepository;
  /** A click's event and call are stored in one of these, before its Originate. */
  readonly clicks: ClickIntake;
  readonly outbox: OutboxRepository;
  readonly results: OutboxResults;
  /** The REST gateway for reads (searchCrmEntities); null while no portal is installed. */
  readonly gateway: () => B24Gateway | null;
  readonly clickToCall: ClickToCallPort;
  readonly rules: { current(): CompiledRules };
  readonly clock: CrmClock;
  /** What a click's age is judged by: real time, as Bitrix24 stamps clicks (default: `clock`). */
  readonly wallClock?: { now(): number };
  readonly logger?: Logger;
  /** B24_MAX_DIAL_DELAY_S in ms: a click older than this (by its own time stamps) is not dialled. */
  readonly maxDialDelayMs?: number;
  /** B24_CLOCK_SKEW_S in ms: how far ahead of this host's clock a click's time may be. */
  readonly clockSkewMs?: number;
  /** How long a callback waits for its register to come back. */
  readonly registerTimeoutMs?: number;
}

export type AcceptResult =
  | { readonly status: 'accepted' }
  | { readonly status: 'duplicate' }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'invalid'; readonly reason: string };

const MOBILE = new Set(['1', 'y', 'true']);

type Outcome = { text: string; failed: boolean; retry?: boolean };
/**
 * A click as accepted live: judged on arrival (and dialled right after the reply), planned when
 * fresh, and whether its call was stored with its event (else one of its CRM call id was there).
 */
type LiveClick = { readonly fresh: Freshness; readonly plan: ClickPlan | null; readonly callCreated: boolean };
/** Runs an event's handling once the reply is on its way (the HTTP route decides when). */
export type RunAfterReply = (work: () => Promise<void>) => void;

interface QueuedFinish {
  readonly id: number;
  readonly state: 'done' | 'failed';
  readonly outcome: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Click-to-call and callback events: persisted before the reply (unique by event + CALL_ID, so a
 * repeated delivery is handled once; a click with its planned call, in one transaction), processed
 * right after it, and picked up again after a restart if the process stopped in between. A click
 * too old to ring anyone (see clickFreshness) is finished as not dialled, on every path.
 */
export class CrmEvents {
  private readonly logger: Logger;
  private finishQueue: QueuedFinish[] = [];
  private finishing: Promise<void> | null = null;

  constructor(private readonly o: CrmEventsOptions) {
    this.logger = o.logger ?? silentLogger;
  }

  /**
   * Persists a verified event, taken for processing by this process, and hands its handling to
   * `run`; resolves once it is stored (the reply may go). A duplicate delivery is stored once and
   * handled once. A click is planned first, and stored with its call in one transaction: its
   * handling then only dials.
   */
  async accept(e: B24Event, run: RunAfterReply): Promise<AcceptResult> {
    if (!HANDLED_EVENTS.includes(e.event)) return { status: 'ignored', reason: `event ${e.event} is not handled` };
    const data = flatData(e.data);
    let key: string;
    if (e.event === CALL_START) {
      const callId = data.CALL_ID ?? '';
      if (callId === '' || callId.length > 200) return { status: 'invalid', reason: 'data[CALL_ID] is missing or too long' };
      if (!data.USER_ID || !/^\d+$/.test(data.USER_ID)) return { status: 'invalid', reason: 'data[USER_ID] is missing or not a number' };
      if (!data.PHONE_NUMBER && !data.PHONE_NUMBER_INTERNATIONAL) return { status: 'invalid', reason: 'data[PHONE_NUMBER] is missing' };
      key = callId;
    } else {
      if (!data.PHONE_NUMBER) return { status: 'invalid', reason: 'data[PHONE_NUMBER] is missing' };
      key = eventDigest(e);
    }
    const now = this.o.clock.now();
    const entry = { event: e.event, eventKey: key, data, ts: e.ts };
    if (e.event !== CALL_START) {
      const stored = await this.o.events.record(entry, now);
      if (!stored.stored) return { status: 'duplicate' };
      const event = stored.stored;
      run(() => this.handle(event));
      return { status: 'accepted' };
    }
    // A stale click is stored (a repeat of it is then a duplicate) without a call: it is not dialled.
    const fresh = this.freshness(e.ts, key);
    const click = this.readClick(data);
    const plan = fresh.fresh ? this.o.clickToCall.plan(click.request) : null;
    const taken = await this.o.clicks.store({ event: entry, receivedAt: now, call: plan?.ok === true ? plan.call : null });
    const event = taken.event;
    if (event === null) return { status: 'duplicate' };
    const live: LiveClick = { fresh, plan, callCreated: taken.callCreated };
    run(() => this.settleAfter(event, () => this.clickToCall(event, live)));
    return { status: 'accepted' };
  }

  private freshness(ts: number | null, callId: string | null): Freshness {
    const stamps = [ts === null ? null : ts * 1000, callId === null ? null : callIdTimeMs(callId)];
    return clickFreshness(stamps, (this.o.wallClock ?? this.o.clock).now(), { maxDelayMs: this.o.maxDialDelayMs ?? 60_000, skewMs: this.o.clockSkewMs ?? 30_000 });
  }

  /** Handles one stored event if nobody else is (after a restart); never throws. */
  async process(id: number): Promise<void> {
    const event = await this.o.events.claim(id);
    if (event) await this.handle(event);
  }

  /** Handles an event this process has taken (`accept` or `process`); never throws. */
  async handle(event: StoredCrmEvent): Promise<void> {
    await this.settleAfter(event, () => (event.event === CALL_START ? this.clickToCall(event, null) : this.callback(event)));
  }

  private async settleAfter(event: StoredCrmEvent, work: () => Promise<Outcome>): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await work();
    } catch (err) {
      outcome = this.failure(event, err);
    }
    await this.settle(event, outcome);
  }

  private failure(event: StoredCrmEvent, err: unknown): Outcome {
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error({ eventId: event.id, event: event.event, err }, 'bitrix24 event failed');
    return { text: `error: ${message}`, failed: true };
  }

  private async settle(event: StoredCrmEvent, outcome: Outcome): Promise<void> {
    const id = event.id;
    try {
      if (outcome.retry) await this.o.events.release(id, outcome.text);
      else await this.finish(id, outcome.failed ? 'failed' : 'done', outcome.text);
      this.logger.info({ eventId: id, event: event.event, outcome: outcome.text }, 'bitrix24 event handled');
    } catch (err) {
      this.logger.error({ eventId: id, event: event.event, err }, 'bitrix24 event outcome not stored');
    }
  }

  /**
   * Marks an event handled, with group commit: events finished while a write is under way share
   * the next one (one statement per distinct outcome), so a burst of clicks does not queue one
   * update each on the connection the next clicks need.
   */
  private finish(id: number, state: 'done' | 'failed', outcome: string): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.finishQueue.push({ id, state, outcome, resolve, reject });
    });
    this.finishing ??= this.writeFinished();
    return done;
  }

  private async writeFinished(): Promise<void> {
    try {
      while (this.finishQueue.length > 0) {
        const batch = this.finishQueue;
        this.finishQueue = [];
        const groups = new Map<string, QueuedFinish[]>();
        for (const f of batch) {
          const key = `${f.state}\n${f.outcome}`;
          groups.set(key, [...(groups.get(key) ?? []), f]);
        }
        for (const group of groups.values()) {
          const first = group[0] as QueuedFinish;
          try {
            await this.o.events.finishMany(group.map((f) => f.id), first.state, first.outcome, this.o.clock.now());
            for (const f of group) f.resolve();
          } catch (err) {
            for (const f of group) f.reject(err);
          }
        }
      }
    } finally {
      this.finishing = null;
    }
  }

  /**
   * At start, before new events are handled: events left `processing` by a stopped process go
   * back to pending; returns the ids of the events persisted but never handled.
   */
  async takeOverUnprocessed(): Promise<number[]> {
    await this.o.events.resetProcessing();
    return (await this.o.events.listUnprocessed()).map((e) => e.id);
  }

  /** At start: handles the events persisted but never handled (the process stopped in between). */
  async resumePending(): Promise<number> {
    const ids = await this.takeOverUnprocessed();
    for (const id of ids) await this.process(id);
    return ids.length;
  }

  private enqueue(key: string, method: string, params: Record<string, unknown>): Promise<{ id: number }> {
    return this.o.outbox.enqueue({ dedupeKey: key, method, params }, this.o.clock.now());
  }

  private async finishRefused(callId: string, userId: string, code: string, reason: string): Promise<void> {
    await this.enqueue(`finish:${callId}`, 'telephony.externalcall.finish', {
      CALL_ID: callId, USER_ID: userId, DURATION: 0, STATUS_CODE: refusalStatusCode(code), FAILED_REASON: reason,
    });
  }

  /**
   * Dials a click or callback that is fresh enough, and finishes it in the CRM when it is not
   * dialled. `live`: its call was planned and stored with its event; without it (picked up again
   * after a restart, a callback) the call is stored now, unless the PBX side holds one of that CRM
   * call id already — then it is never dialled again.
   */
  private async dial(request: ClickToCallRequest, writeAllowed: boolean, fresh: Freshness, live: LiveClick | null): Promise<Outcome> {
    if (!fresh.fresh) {
      // A call placed before a restart is not "not dialled": its own record will finish it.
      if (live === null && await this.o.clickToCall.placed(request.crmCallId)) return { text: 'dialled before the restart', failed: false };
      return this.notDialled(request, writeAllowed, 'STALE_CLICK', fresh.reason, true);
    }
    let result: ClickToCallResult;
    try {
      if (live === null || live.plan === null) result = await this.o.clickToCall.originate(request);
      else if (!live.plan.ok) result = { status: 'refused', code: live.plan.code, message: live.plan.message };
      else if (!live.callCreated) result = { status: 'duplicate' };
      else result = await this.o.clickToCall.dial(live.plan);
    } catch (err) {
      return this.notDialled(request, writeAllowed, 'LINE_UNAVAILABLE', `PBX unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    if (result.status === 'refused') return this.notDialled(request, writeAllowed, result.code, `refused ${result.code}: ${result.message}`, false, result.message);
    return { text: result.status, failed: false };
  }

  private async notDialled(request: ClickToCallRequest, writeAllowed: boolean, code: string, text: string, failed: boolean, reason = text): Promise<Outcome> {
    if (writeAllowed) await this.finishRefused(request.crmCallId, request.userId, code, reason);
    this.o.results.notify();
    return { text, failed };
  }

  /** A click's request, and whether its outcome may be written to the CRM (DECISIONS §18). */
  private readClick(d: Readonly<Record<string, string>>): { readonly request: ClickToCallRequest; readonly writeAllowed: boolean } {
    const userId = d.USER_ID ?? '';
    const international = (d.PHONE_NUMBER_INTERNATIONAL ?? '').trim();
    const number = international || (d.PHONE_NUMBER ?? '').trim();
    const rules = this.o.rules.current();
    const extension = d.EXTENSION ? d.EXTENSION : (rules.userById.get(userId)?.user.extension ?? null);
    const writeAllowed = !isExcludedNumber(rules, number) && (isCrmWhitelisted(rules, { userId, extension }) || rules.rules.crm.finishNonWhitelisted);
    return {
      writeAllowed,
      request: {
        crmCallId: d.CALL_ID ?? '',
        userId,
        extension,
        number,
        numberIsInternational: international !== '',
        origin: MOBILE.has((d.IS_MOBILE ?? '').toLowerCase()) ? 'mobile' : 'crm',
        line: d.LINE_NUMBER ? d.LINE_NUMBER : null,
      },
    };
  }

  /** A click: `live` when accepted by this process just now, null when picked up again later. */
  private async clickToCall(event: StoredCrmEvent, live: LiveClick | null): Promise<Outcome> {
    const { request, writeAllowed } = this.readClick(event.data as Record<string, string>);
    // DECISIONS §18: not written to the CRM → hide the card Bitrix24 opened, write nothing else.
    // Queued alongside the dial, which does not wait for it.
    const hiding = writeAllowed ? null : this.enqueue(`hide:${request.crmCallId}`, 'telephony.externalcall.hide', { CALL_ID: request.crmCallId, USER_ID: request.userId });
    void hiding?.catch(() => undefined);
    const outcome = await this.dial(request, writeAllowed, live?.fresh ?? this.freshness(event.ts, request.crmCallId), live);
    if (hiding) {
      await hiding;
      this.o.results.notify();
    }
    return outcome;
  }

  /** ONEXTERNALCALLBACKSTART: the responsible manager → register TYPE 4 → dial with its CALL_ID. */
  private async callback(event: StoredCrmEvent): Promise<Outcome> {
    const d = event.data as Record<string, string>;
    const phone = (d.PHONE_NUMBER ?? '').trim();
    // Its time is the event's own (the CALL_ID is registered below, so it is always new).
    const before = this.freshness(event.ts, null);
    if (!before.fresh) return { text: before.reason, failed: true };
    const gateway = this.o.gateway();
    if (!gateway) return { text: 'no portal installed', failed: true };
    const found = await gateway.call('telephony.externalcall.searchCrmEntities', { PHONE_NUMBER: phone });
    if (!found.ok) {
      if (found.error.kind === 'transient' && event.attempts < 3) return { text: `searchCrmEntities: ${describeFailure(found.error)}`, failed: false, retry: true };
      return { text: `searchCrmEntities: ${describeFailure(found.error)}`, failed: true };
    }
    const entities = Array.isArray(found.result) ? (found.result as Record<string, unknown>[]) : [];
    const match = entities.find((e) => String(e.CRM_ENTITY_TYPE) === d.CRM_ENTITY_TYPE && String(e.CRM_ENTITY_ID) === d.CRM_ENTITY_ID) ?? entities[0];
    const userId = match ? String(match.ASSIGNED_BY_ID ?? (match.ASSIGNED_BY as Record<string, unknown> | undefined)?.ID ?? '') : '';
    if (!/^\d+$/.test(userId)) return { text: 'no responsible manager found for the number', failed: true };
    const rules = this.o.rules.current();
    const extension = rules.userById.get(userId)?.user.extension ?? null;
    const register: Record<string, unknown> = {
      USER_ID: userId,
      PHONE_NUMBER: phone,
      TYPE: 4,
      CALL_START_DATE: isoWithZone(this.o.clock.now()),
      CRM_CREATE: 0,
      EXTERNAL_CALL_ID: `callback-${event.id}`,
      SHOW: 1,
    };
    if (d.CRM_ENTITY_TYPE) register.CRM_ENTITY_TYPE = d.CRM_ENTITY_TYPE;
    if (d.CRM_ENTITY_ID && d.CRM_ENTITY_ID !== '0') register.CRM_ENTITY_ID = d.CRM_ENTITY_ID;
    if (d.LINE_NUMBER) register.LINE_NUMBER = d.LINE_NUMBER;
    const { id } = await this.enqueue(`callback:${event.eventKey}:register`, 'telephony.externalcall.register', register);
    this.o.results.notify();
    const result = (await this.o.results.waitFor(id, this.o.registerTimeoutMs ?? 30_000)) as Record<string, unknown> | null;
    const callId = typeof result?.CALL_ID === 'string' ? result.CALL_ID : null;
    if (!callId) return { text: `callback register #${id} did not complete`, failed: true };
    const owner = { userId, extension };
    const writeAllowed = !isExcludedNumber(rules, phone) && (isCrmWhitelisted(rules, owner) || rules.rules.crm.finishNonWhitelisted);
    if (!writeAllowed) {
      await this.enqueue(`hide:${callId}`, 'telephony.externalcall.hide', { CALL_ID: callId, USER_ID: userId });
      this.o.results.notify();
    }
    const request: ClickToCallRequest = {
      crmCallId: callId, userId, extension, number: phone, numberIsInternational: phone.startsWith('+'), origin: 'crm', line: d.LINE_NUMBER ? d.LINE_NUMBER : null,
    };
    // The register may have waited for a portal that was down: judged again before the dial.
    return this.dial(request, writeAllowed, this.freshness(event.ts, null), null);
  }
}
