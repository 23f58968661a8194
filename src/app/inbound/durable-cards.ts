import type { Logger } from '../../adapters/logging/logger.ts';
import type { CardSnapshot, InboundCrm } from './inbound-crm.ts';
import type { LeftMessage, MessageReport } from './inbound-messages.ts';
import type { EndedCall, InboundCallEvents, InboundStepAnswer, InboundStepQuery } from './inbound-service.ts';

/** Where the cards of calls in progress are kept between their events (the database, shared by instances). */
export interface InboundCardStore {
  load(linkedid: string): Promise<CardSnapshot | null>;
  save(card: CardSnapshot, now: number): Promise<void>;
  remove(linkedid: string): Promise<void>;
  purgeBefore(at: number): Promise<number>;
}

export interface DurableCardsDeps {
  readonly crm: InboundCrm;
  readonly store: InboundCardStore;
  readonly now: () => number;
  readonly logger: Logger;
}

/** Rows of calls that never reported their end (a lost `h` request) are dropped after this. */
const MAX_CALL_MS = 6 * 3600_000;
const PURGE_EVERY_MS = 60_000;

/**
 * Inbound CRM cards that outlive the process: each event of a call (a step, the answer, the end)
 * loads the call's stored card, lets InboundCrm act on it, and stores it back once its writes are
 * in the outbox. So a call whose steps reach another instance, or an instance restarted mid-call,
 * still hides every card it showed and finishes the call with the right user. Events of one call
 * are applied in order here; a call's steps never overlap (the dialplan waits for each).
 * Writes are keyed by the card's sequence: an event replayed after a crash plans the same keys,
 * which the outbox stores once. While the database cannot be read or written, the copy this
 * process keeps of its last event goes on (and wins over the row until it is stored again).
 */
export class DurableInboundCards implements InboundCallEvents {
  private readonly chains = new Map<string, Promise<void>>();
  /** Calls whose last card could not be stored: this process's copy is newer than the row. */
  private readonly unsaved = new Set<string>();
  private lastPurge = 0;

  constructor(private readonly deps: DurableCardsDeps) {}

  /** InboundService's observer. */
  readonly observe = (query: InboundStepQuery, answer: InboundStepAnswer): void => {
    if (query.linkedid === null) return;
    this.serial(query.linkedid, () => this.deps.crm.observe(query, answer));
  };

  answered(linkedid: string, channel: string): void {
    this.serial(linkedid, () => this.deps.crm.answered(linkedid, channel));
  }

  message(linkedid: string, report: MessageReport, left: LeftMessage): void {
    this.serial(linkedid, () => this.deps.crm.message(linkedid, report, left));
  }

  ended(linkedid: string, recording: string | null, call?: EndedCall): void {
    this.serial(linkedid, () => this.deps.crm.ended(linkedid, recording, call));
    this.purge();
  }

  /** Resolves once every event received so far (of one call, if given) is applied and stored (tests, shutdown). */
  async idle(linkedid?: string): Promise<void> {
    if (linkedid !== undefined) {
      await this.chains.get(linkedid);
      return;
    }
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private serial(linkedid: string, act: () => void): void {
    const previous = this.chains.get(linkedid) ?? Promise.resolve();
    const next = previous.then(() => this.apply(linkedid, act));
    this.chains.set(linkedid, next);
    void next.finally(() => {
      if (this.chains.get(linkedid) === next) this.chains.delete(linkedid);
    });
  }

  private async apply(linkedid: string, act: () => void): Promise<void> {
    const { crm, store, logger } = this.deps;
    let had = false;
    let before = '';
    try {
      const stored = await store.load(linkedid);
      had = stored !== null;
      before = JSON.stringify(stored);
      if (this.unsaved.has(linkedid) && crm.snapshot(linkedid) !== null) before = '';
      else if (stored) crm.restore(stored);
      else crm.forget(linkedid);
    } catch (err) {
      // The database is away: go on with this process's copy, if it has one (its last event here).
      had = true;
      logger.warn({ linkedid, err }, 'inbound: loading the CRM card failed; using this instance\'s copy');
    }
    act();
    await crm.flushed();
    const card = crm.snapshot(linkedid);
    try {
      // A step that changed nothing (a prompt, a menu) writes nothing.
      if (card && JSON.stringify(card) !== before) await store.save(card, this.deps.now());
      else if (!card && had) await store.remove(linkedid);
      this.unsaved.delete(linkedid);
    } catch (err) {
      if (card) this.unsaved.add(linkedid);
      else this.unsaved.delete(linkedid);
      logger.warn({ linkedid, err }, 'inbound: storing the CRM card failed; kept in this instance only');
    }
    // This process keeps its copy too: it is used only while the store cannot be read.
  }

  private purge(): void {
    const now = this.deps.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    this.deps.store.purgeBefore(now - MAX_CALL_MS).catch((err: unknown) => this.deps.logger.warn({ err }, 'inbound: purging old CRM cards failed'));
  }
}
