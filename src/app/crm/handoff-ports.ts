/**
 * Runs `work` in one database transaction and returns its result; `Tx` is the handle the stores
 * below take to write inside it (the use case never looks into it).
 */
export type WithTransaction<Tx> = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

/** A CRM write to enqueue in the outbox. */
export interface NewOutboxEntry {
  /** Unique: enqueueing the same key twice is a no-op (a call record is written once). */
  readonly dedupeKey: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly dependsOn?: number | null;
  readonly inject?: Readonly<Record<string, string>> | null;
}

/** The outbox as planned writes reach it: entries enqueued together, inside a transaction if given. */
export interface OutboxEnqueuer<Tx> {
  enqueueMany(entries: readonly NewOutboxEntry[], now: number, tx?: Tx): Promise<readonly { readonly id: number }[]>;
}
