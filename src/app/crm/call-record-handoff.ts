import { silentLogger, type Logger } from '../../adapters/logging/logger.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CallRecord } from '../calls/call-record.ts';
import { planCallRecordWrites } from './call-record-writes.ts';
import type { CrmClock } from './clock.ts';
import { enqueuePlans } from './enqueue-plan.ts';
import type { OutboxEnqueuer, WithTransaction } from './handoff-ports.ts';

/** The call tracker's durable hand-off (calls.crm_handoff = pending → done). */
export interface EndedCallsSource<Tx = unknown> {
  listPending(limit: number): Promise<readonly CallRecord[]>;
  /** Marks the hand-off done inside the transaction that enqueued the writes. */
  markDone(callId: string, trx: Tx): Promise<void>;
  /** The same for several calls in one statement (optional: else markDone per call). */
  markAllDone?(callIds: readonly string[], trx: Tx): Promise<void>;
}

export interface CallRecordHandoffOptions<Tx> {
  /** The hand-off's unit of work: writes enqueued and calls marked done commit together. */
  readonly transaction: WithTransaction<Tx>;
  readonly source: EndedCallsSource<Tx>;
  readonly outbox: OutboxEnqueuer<Tx>;
  readonly rules: { current(): CompiledRules };
  readonly clock: CrmClock;
  readonly logger?: Logger;
  /** Called after writes were enqueued (wake the outbox worker). */
  readonly onEnqueued?: () => void;
}

/** Ended calls handed off per transaction (a few statements each, whatever its size). */
const HANDOFF_CHUNK = 50;

/**
 * Consumes ended calls: plans their CRM writes and enqueues them in the same transaction that
 * marks the hand-off done, so a crash loses nothing and repeats nothing (dedupe keys).
 */
export class CallRecordHandoff<Tx> {
  private running: Promise<number> | null = null;
  private again = false;
  private readonly closed: CallRecord[] = [];
  private taking: Promise<void> | null = null;

  constructor(private readonly o: CallRecordHandoffOptions<Tx>) {}

  async handOff(record: CallRecord): Promise<number> {
    return this.handOffAll([record]);
  }

  /**
   * Several ended calls in one transaction (one BEGIN/COMMIT for all): one insert per dependency
   * level of their writes and one update marking them handed off.
   */
  private async handOffAll(records: readonly CallRecord[]): Promise<number> {
    const rules = this.o.rules.current();
    const plans = records.map((record) => ({ record, plan: planCallRecordWrites(record, rules) }));
    const now = this.o.clock.now();
    const ids = await this.o.transaction(async (trx) => {
      const out = await enqueuePlans(this.o.outbox, plans.map((p) => p.plan.writes), now, trx);
      if (this.o.source.markAllDone) await this.o.source.markAllDone(records.map((r) => r.callId), trx);
      else for (const { record } of plans) await this.o.source.markDone(record.callId, trx);
      return out;
    });
    const logger = this.o.logger ?? silentLogger;
    plans.forEach(({ record, plan }, i) => logger.debug({ callId: record.callId, outbox: ids[i], note: plan.note }, 'call record handed to the CRM outbox'));
    return ids.reduce((n, list) => n + list.length, 0);
  }

  /** A batch in small transactions; a failing one is retried call by call so the error names its call. */
  private async handOffBatch(batch: readonly CallRecord[]): Promise<number> {
    let total = 0;
    for (let i = 0; i < batch.length; i += HANDOFF_CHUNK) {
      const chunk = batch.slice(i, i + HANDOFF_CHUNK);
      try {
        total += await this.handOffAll(chunk);
      } catch (err) {
        if (chunk.length === 1) throw err;
        for (const record of chunk) total += await this.handOff(record);
      }
    }
    return total;
  }

  /**
   * A call the tracker has just stored as ended (hand-off pending): handed off as it is, without
   * reading back the row just written. Calls closed in the same turn share one transaction; those
   * closing meanwhile, the next. What fails stays pending for `drainPending`, the durable path.
   */
  takeClosed(record: CallRecord): Promise<void> {
    this.closed.push(record);
    if (this.taking) return this.taking;
    this.taking = (async () => {
      // The tracker closes a flush's calls in one go: they share the first transaction.
      await Promise.resolve();
      let total = 0;
      try {
        while (this.closed.length > 0) total += await this.handOffBatch(this.closed.splice(0, HANDOFF_CHUNK));
      } finally {
        this.closed.length = 0;
        if (total > 0) this.o.onEnqueued?.();
      }
    })().finally(() => {
      this.taking = null;
    });
    return this.taking;
  }

  /** Hands off every pending call; concurrent triggers coalesce into one more pass. */
  drainPending(limit = 100): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      do {
        this.again = false;
        for (;;) {
          const batch = await this.o.source.listPending(limit);
          total += await this.handOffBatch(batch);
          if (batch.length < limit) break;
        }
      } while (this.again);
      return total;
    })().finally(() => {
      this.running = null;
    });
    return this.running.then((n) => {
      if (n > 0) this.o.onEnqueued?.();
      return n;
    });
  }
}
