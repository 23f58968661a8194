import type { CrmEventsRepository, StoredCrmEvent } from '../../adapters/db/repositories/crm-events-repository.ts';
import type { OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import { eventDigest, flatData, type B24Event } from '../../adapters/bitrix24/event.ts';
import { silentLogger, type Logger } from '../../adapters/logging/logger.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CrmClock } from './clock.ts';
import { isCrmWhitelisted, isExcludedNumber } from './crm-policy.ts';
import { isoWithZone } from './call-record-writes.ts';
import { refusalStatusCode, type ClickToCallPort, type ClickToCallRequest, type ClickToCallResult } from './ports.ts';

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
  readonly outbox: OutboxRepository;
  readonly results: OutboxResults;
  /** The REST gateway for reads (searchCrmEntities); null while no portal is installed. */
  readonly gateway: () => B24Gateway | null;
  readonly clickToCall: ClickToCallPort;
  readonly rules: { current(): CompiledRules };
  readonly clock: CrmClock;
  readonly logger?: Logger;
  /** A click picked up later than this (e.g. after a restart) is not dialled any more. */
  readonly maxDialDelayMs?: number;
  /** How long a callback waits for its register to come back. */
  readonly registerTimeoutMs?: number;
}

export type AcceptResult =
  | { readonly status: 'accepted' | 'duplicate'; readonly id: number }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'invalid'; readonly reason: string };

const MOBILE = new Set(['1', 'y', 'true']);

/**
 * Click-to-call and callback events: persisted before the reply (unique by event + CALL_ID, so a
 * repeated delivery is handled once), processed right after it, and picked up again after a
 * restart if the process stopped in between.
 */
interface QueuedFinish {
  readonly id: number;
  readonly state: 'done' | 'failed';
  readonly outcome: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class CrmEvents {
  private readonly logger: Logger;
  private finishQueue: QueuedFinish[] = [];
  private finishing: Promise<void> | null = null;

  constructor(private readonly o: CrmEventsOptions) {
    this.logger = o.logger ?? silentLogger;
  }

  /** Persists a verified event. Does no slow work: the HTTP reply follows immediately. */
  async accept(e: B24Event): Promise<AcceptResult> {
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
    const stored = await this.o.events.record({ event: e.event, eventKey: key, data, ts: e.ts }, this.o.clock.now());
    return { status: stored.created ? 'accepted' : 'duplicate', id: stored.id };
  }

  /** Handles one stored event if nobody else is; never throws. */
  async process(id: number): Promise<void> {
    const event = await this.o.events.claim(id);
    if (!event) return;
    try {
      const outcome = event.event === CALL_START ? await this.clickToCall(event) : await this.callback(event);
      if (outcome.retry) await this.o.events.release(event.id, outcome.text);
      else await this.finish(event.id, outcome.failed ? 'failed' : 'done', outcome.text);
      this.logger.info({ eventId: event.id, event: event.event, outcome: outcome.text }, 'bitrix24 event handled');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error({ eventId: event.id, event: event.event, err: { message } }, 'bitrix24 event failed');
      await this.finish(event.id, 'failed', `error: ${message}`);
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

  private async dial(event: StoredCrmEvent, request: ClickToCallRequest, writeAllowed: boolean): Promise<{ text: string; failed: boolean; retry?: boolean }> {
    const late = this.o.clock.now() - event.receivedAt;
    if (late > (this.o.maxDialDelayMs ?? 60_000)) {
      const reason = `not dialled: the click was picked up ${Math.round(late / 1000)} s after it arrived`;
      if (writeAllowed) await this.finishRefused(request.crmCallId, request.userId, 'LINE_UNAVAILABLE', reason);
      this.o.results.notify();
      return { text: reason, failed: true };
    }
    let result: ClickToCallResult;
    try {
      result = await this.o.clickToCall.originate(request);
    } catch (err) {
      const reason = `PBX unreachable: ${err instanceof Error ? err.message : String(err)}`;
      if (writeAllowed) await this.finishRefused(request.crmCallId, request.userId, 'LINE_UNAVAILABLE', reason);
      this.o.results.notify();
      return { text: reason, failed: true };
    }
    if (result.status === 'refused') {
      if (writeAllowed) await this.finishRefused(request.crmCallId, request.userId, result.code, result.message);
      this.o.results.notify();
      return { text: `refused ${result.code}: ${result.message}`, failed: false };
    }
    return { text: result.status, failed: false };
  }

  private async clickToCall(event: StoredCrmEvent): Promise<{ text: string; failed: boolean; retry?: boolean }> {
    const d = event.data as Record<string, string>;
    const callId = d.CALL_ID ?? '';
    const userId = d.USER_ID ?? '';
    const international = (d.PHONE_NUMBER_INTERNATIONAL ?? '').trim();
    const number = international || (d.PHONE_NUMBER ?? '').trim();
    const rules = this.o.rules.current();
    const extension = d.EXTENSION ? d.EXTENSION : (rules.userById.get(userId)?.user.extension ?? null);
    const owner = { userId, extension };
    const excluded = isExcludedNumber(rules, number);
    const whitelisted = isCrmWhitelisted(rules, owner);
    const writeAllowed = !excluded && (whitelisted || rules.rules.crm.finishNonWhitelisted);
    if (!writeAllowed) {
      // DECISIONS §18: not written to the CRM → hide the card Bitrix24 opened, write nothing else.
      await this.enqueue(`hide:${callId}`, 'telephony.externalcall.hide', { CALL_ID: callId, USER_ID: userId });
      this.o.results.notify();
    }
    return this.dial(event, {
      crmCallId: callId,
      userId,
      extension,
      number,
      numberIsInternational: international !== '',
      origin: MOBILE.has((d.IS_MOBILE ?? '').toLowerCase()) ? 'mobile' : 'crm',
      line: d.LINE_NUMBER ? d.LINE_NUMBER : null,
    }, writeAllowed);
  }

  /** ONEXTERNALCALLBACKSTART: the responsible manager → register TYPE 4 → dial with its CALL_ID. */
  private async callback(event: StoredCrmEvent): Promise<{ text: string; failed: boolean; retry?: boolean }> {
    const d = event.data as Record<string, string>;
    const phone = (d.PHONE_NUMBER ?? '').trim();
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
    return this.dial(event, request, writeAllowed);
  }
}
