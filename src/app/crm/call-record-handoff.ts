import type { Knex } from 'knex';
import type { Db } from '../../adapters/db/connection.ts';
import type { OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import { silentLogger, type Logger } from '../../adapters/logging/logger.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CallRecord } from '../calls/call-record.ts';
import { planCallRecordWrites } from './call-record-writes.ts';
import type { CrmClock } from './clock.ts';
import { enqueuePlan } from './enqueue-plan.ts';

/** The call tracker's durable hand-off (calls.crm_handoff = pending → done). */
export interface EndedCallsSource {
  listPending(limit: number): Promise<readonly CallRecord[]>;
  /** Marks the hand-off done inside the transaction that enqueued the writes. */
  markDone(callId: string, trx: Knex.Transaction): Promise<void>;
}

export interface CallRecordHandoffOptions {
  readonly db: Db;
  readonly source: EndedCallsSource;
  readonly outbox: OutboxRepository;
  readonly rules: { current(): CompiledRules };
  readonly clock: CrmClock;
  readonly logger?: Logger;
  /** Called after writes were enqueued (wake the outbox worker). */
  readonly onEnqueued?: () => void;
}

/**
 * Consumes ended calls: plans their CRM writes and enqueues them in the same transaction that
 * marks the hand-off done, so a crash loses nothing and repeats nothing (dedupe keys).
 */
export class CallRecordHandoff {
  private running: Promise<number> | null = null;
  private again = false;

  constructor(private readonly o: CallRecordHandoffOptions) {}

  async handOff(record: CallRecord): Promise<number> {
    const plan = planCallRecordWrites(record, this.o.rules.current());
    const now = this.o.clock.now();
    const ids = await this.o.db.transaction(async (trx) => {
      const enqueued = await enqueuePlan(this.o.outbox, plan.writes, now, trx);
      await this.o.source.markDone(record.callId, trx);
      return enqueued;
    });
    (this.o.logger ?? silentLogger).debug({ callId: record.callId, outbox: ids, note: plan.note }, 'call record handed to the CRM outbox');
    return ids.length;
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
          for (const record of batch) total += await this.handOff(record);
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
