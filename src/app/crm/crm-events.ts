import type { CrmEventsRepository, RecordResult, StoredCrmEvent } from '../../adapters/db/repositories/crm-events-repository.ts';
import type { OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import { eventDigest, flatData, type B24Event } from '../../adapters/bitrix24/event.ts';
import { silentLogger, type Logger } from '../../adapters/logging/logger.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import { keepTrying } from '../keep-trying.ts';
import type { CrmClock } from './clock.ts';
import { isCrmWhitelisted, isExcludedNumber } from './crm-policy.ts';
import { isoWithZone } from './call-record-writes.ts';
import { refusalStatusCode, type ClickToCallPort, type ClickToCallRequest, type ClickToCallResult, type EventJournal, type JournaledEvent } from './ports.ts';

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
  /** Fresh clicks are journaled and answered at once; without it the reply waits for the database. */
  readonly journal?: EventJournal | null;
}

export type AcceptResult =
  | { readonly status: 'accepted' }
  | { readonly status: 'duplicate' }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'invalid'; readonly reason: string };

const MOBILE = new Set(['1', 'y', 'true']);

/** How far back the memory of received clicks reaches (filled from the database at start). */
export const RECENT_CLICKS_MS = 30 * 60_000;
/**
 * A click stamped by Bitrix24 (the event's `ts`, and the time in its CALL_ID) within the last
 * FRESH_CLICK_MS, not ahead of this host by more than CLOCK_AHEAD_MS, and not in that memory, is
 * new for sure: it is journaled and dialled before it is stored. Anything older (a late or
 * repeated delivery) is checked against the database first. A repeat arriving after the memory
 * forgot its click carries stamps older than the window, whatever the clocks' skew.
 */
export const FRESH_CLICK_MS = 10 * 60_000;
export const CLOCK_AHEAD_MS = 2 * 60_000;

type Outcome = { text: string; failed: boolean; retry?: boolean };
/** A journaled click's row: its id, and whether this process wrote it (else it was a repeat). */
type JournaledRow = { readonly id: number; readonly ours: boolean };
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
 * Click-to-call and callback events: persisted before the reply (in the database, unique by event +
 * CALL_ID, so a repeated delivery is handled once; a fresh click in the intake journal first),
 * processed right after it, and picked up again after a restart if the process stopped in between.
 */
export class CrmEvents {
  private readonly logger: Logger;
  /** Click keys received lately → when; null until rememberRecentClicks (no early dials before). */
  private recentClicks: Map<string, number> | null = null;
  private finishQueue: QueuedFinish[] = [];
  private finishing: Promise<void> | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly o: CrmEventsOptions) {
    this.logger = o.logger ?? silentLogger;
  }

  /**
   * Persists a verified event, taken for processing by this process, and hands its handling to
   * `run`; resolves once it is stored (the reply may go). A duplicate delivery is stored once and
   * handled once. A fresh click (see FRESH_CLICK_MS) is dialled while it is being stored; with an
   * intake journal it is journaled instead, and the reply does not wait for the database either.
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
    const fresh = e.event === CALL_START && this.isFreshClick(key, e.ts, now);
    if (e.event === CALL_START && this.recentClicks && !this.recentClicks.has(key)) this.recentClicks.set(key, now);
    const entry = { event: e.event, eventKey: key, data, ts: e.ts };
    if (fresh && this.journaled({ ...entry, receivedAt: now })) {
      // On disk before the reply: the reply and the dial go now, the row follows.
      const persisted = this.storeJournaled(entry, now);
      // Handled as taken at once; its row id is known once it is stored.
      const taken: StoredCrmEvent = { id: 0, ...entry, state: 'processing', attempts: 1, outcome: null, receivedAt: now, processedAt: null };
      run(() => this.handleFresh(taken, persisted));
      return { status: 'accepted' };
    }
    const stored = await this.o.events.record(entry, now);
    if (!stored.stored) return { status: 'duplicate' };
    const event = stored.stored;
    run(() => this.handle(event));
    return { status: 'accepted' };
  }

  /** Stops the retries of journaled clicks' rows (what is unstored stays in the journal). */
  stop(): void {
    this.stopping.abort();
  }

  /**
   * Stores a journaled click and settles its journal line. A failed write is tried again until
   * the database is back; null if the process stops first (the next start stores it then).
   */
  private async storeJournaled(entry: Omit<JournaledEvent, 'receivedAt'>, receivedAt: number): Promise<JournaledRow | null> {
    let r: RecordResult | null;
    try {
      r = await this.o.events.record(entry, receivedAt);
    } catch (err) {
      this.logger.error({ key: entry.eventKey, err: { message: (err as Error).message } }, 'bitrix24 event not stored; kept in the intake journal, retrying');
      r = await keepTrying(() => this.o.events.record(entry, receivedAt), {
        signal: this.stopping.signal,
        onFailure: (e, tries) => this.logger.warn({ key: entry.eventKey, tries, err: { message: (e as Error).message } }, 'bitrix24 event still not stored'),
      });
      if (r === null) return null;
    }
    (this.o.journal as EventJournal).settle(entry.event, entry.eventKey);
    // Not created: a repeated delivery stored (and handles) it meanwhile.
    return { id: r.id, ours: r.created };
  }

  private journaled(event: JournaledEvent): boolean {
    if (!this.o.journal?.accepting()) return false;
    try {
      this.o.journal.record(event);
      return true;
    } catch (err) {
      this.logger.error({ err: { message: (err as Error).message } }, 'intake journal not writable: this click waits for the database');
      return false;
    }
  }

  /**
   * From now on, fresh clicks are dialled while they are stored: the memory of recent clicks
   * (which tells a repeated delivery without asking the database) is filled from the database.
   */
  async rememberRecentClicks(): Promise<number> {
    const now = this.o.clock.now();
    const keys = await this.o.events.keysReceivedSince(CALL_START, now - RECENT_CLICKS_MS);
    this.recentClicks = new Map(keys.map((k) => [k.eventKey, k.receivedAt]));
    return keys.length;
  }

  private isFreshClick(key: string, ts: number | null, now: number): boolean {
    const recent = this.recentClicks;
    if (!recent || recent.has(key) || ts === null) return false;
    // Forget what is older than the window (a Map iterates in insertion order).
    for (const [k, at] of recent) {
      if (now - at <= RECENT_CLICKS_MS) break;
      recent.delete(k);
    }
    // `externalCall.<32 hex>.<unix time>`: when Bitrix24 registered the call.
    const registered = /\.(\d{9,11})$/.exec(key)?.[1];
    const stamps = registered === undefined ? [ts] : [ts, Number(registered)];
    return stamps.every((seconds) => now - seconds * 1000 < FRESH_CLICK_MS && seconds * 1000 - now < CLOCK_AHEAD_MS);
  }

  /** Handles one stored event if nobody else is (after a restart); never throws. */
  async process(id: number): Promise<void> {
    const event = await this.o.events.claim(id);
    if (event) await this.handle(event);
  }

  /** Handles an event this process has taken (`accept` or `process`); never throws. */
  async handle(event: StoredCrmEvent): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = event.event === CALL_START ? await this.clickToCall(event, false) : await this.callback(event);
    } catch (err) {
      outcome = this.failure(event, err);
    }
    await this.settle(event, event.id, outcome);
  }

  /** A fresh click: dialled at once, finished once its event is stored. */
  private async handleFresh(event: StoredCrmEvent, persisted: Promise<JournaledRow | null>): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.clickToCall(event, true);
    } catch (err) {
      outcome = this.failure(event, err);
    }
    const stored = await persisted;
    // Not stored before the stop: the next start stores it from the journal and sees it placed.
    if (stored === null) return;
    if (stored.ours) await this.settle(event, stored.id, outcome);
    else this.logger.error({ event: event.event, key: event.eventKey }, 'a click dialled as new was stored by another delivery, which finishes it');
  }

  private failure(event: StoredCrmEvent, err: unknown): Outcome {
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error({ eventId: event.id, event: event.event, err: { message } }, 'bitrix24 event failed');
    return { text: `error: ${message}`, failed: true };
  }

  private async settle(event: StoredCrmEvent, id: number, outcome: Outcome): Promise<void> {
    try {
      if (outcome.retry) await this.o.events.release(id, outcome.text);
      else await this.finish(id, outcome.failed ? 'failed' : 'done', outcome.text);
      this.logger.info({ eventId: id, event: event.event, outcome: outcome.text }, 'bitrix24 event handled');
    } catch (err) {
      this.logger.error({ eventId: id, event: event.event, err: { message: (err as Error).message } }, 'bitrix24 event outcome not stored');
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

  private async dial(event: StoredCrmEvent, request: ClickToCallRequest, writeAllowed: boolean): Promise<Outcome> {
    const late = this.o.clock.now() - event.receivedAt;
    // A call placed before a restart is not "not dialled": its own record will finish it.
    if (late > (this.o.maxDialDelayMs ?? 60_000) && await this.o.clickToCall.placed(request.crmCallId)) {
      return { text: 'dialled before the restart', failed: false };
    }
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

  private async clickToCall(event: StoredCrmEvent, knownNew: boolean): Promise<Outcome> {
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
    // DECISIONS §18: not written to the CRM → hide the card Bitrix24 opened, write nothing else.
    // Queued alongside the dial, which does not wait for it.
    const hiding = writeAllowed ? null : this.enqueue(`hide:${callId}`, 'telephony.externalcall.hide', { CALL_ID: callId, USER_ID: userId });
    void hiding?.catch(() => undefined);
    const outcome = await this.dial(event, {
      crmCallId: callId,
      userId,
      extension,
      number,
      numberIsInternational: international !== '',
      origin: MOBILE.has((d.IS_MOBILE ?? '').toLowerCase()) ? 'mobile' : 'crm',
      line: d.LINE_NUMBER ? d.LINE_NUMBER : null,
      knownNew,
    }, writeAllowed);
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
