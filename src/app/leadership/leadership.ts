import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../adapters/logging/logger.ts';

/**
 * Why a lease row and not `pg_advisory_lock`: an advisory lock lives on one pooled connection
 * (the pool may hand that connection back or drop it, and the lock goes with it unseen), does not
 * survive PgBouncer's transaction mode (the lock lands on whichever server connection ran the
 * statement), and outlives a dead host for as long as TCP keepalive takes to notice. A row with an
 * expiry measured by the database's clock and a term that grows on every takeover has none of those
 * problems, and works the same on SQLite (where it is trivially one instance).
 */
export interface LeaseStore {
  /**
   * Keeps or takes the lease for `ttlMs` more: the term now held, or null while another holder's
   * lease runs — unless `takeOver`, which takes it from that holder with a new term.
   */
  claim(name: string, holder: string, ttlMs: number, takeOver?: boolean): Promise<number | null>;
  /** Gives the lease up at once (a clean stop hands over without waiting for the expiry). */
  release(name: string, holder: string, term: number): Promise<void>;
  /** Resolves only while (holder, term) holds an unexpired lease; throws LeaseLostError otherwise. */
  check(name: string, holder: string, term: number): Promise<void>;
}

export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
  constructor(readonly lease: string, readonly term: number | null) {
    super(`not the holder of the "${lease}" lease${term === null ? '' : ` (term ${term} is over)`}: leader-only work refused`);
  }
}

/** What leader-only work asks: am I the leader now, and tell me when that changes. */
export interface LeaderGate {
  readonly name: string;
  /** The term held now (its lease not expired by the local clock), or null. */
  term(): number | null;
  /** Checks the lease in the database right before a side effect that cannot be made conditional. */
  check(): Promise<void>;
  on(event: 'acquired' | 'lost', listener: (term: number) => void): unknown;
  off(event: 'acquired' | 'lost', listener: (term: number) => void): unknown;
}

export interface LeadershipOptions {
  readonly name: string;
  /** Unique per process (host, pid, random). */
  readonly holder: string;
  readonly store: LeaseStore;
  readonly ttlMs: number;
  readonly logger: Logger;
  /** Monotonic milliseconds (default performance.now): only measures how long ago a claim was sent. */
  readonly now?: () => number;
  /** The first claim takes the lease from any holder (a single-instance database: see createLeaders). */
  readonly takeOverAtStart?: boolean;
}

/**
 * One lease, held or waited for. Every ttl/3 it claims the lease; the lease counts as held until
 * ttl after the claim was *sent* (not answered), so an instance cut off from the database stops
 * acting before anyone else can take over. Emits 'acquired' (term) and 'lost' (term).
 */
export class Leadership extends EventEmitter<{ acquired: [number]; lost: [number] }> implements LeaderGate {
  private held: { term: number; until: number } | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private expiry: NodeJS.Timeout | null = null;
  /** When the newest claim whose answer was applied was sent. */
  private lastApplied = -Infinity;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: LeadershipOptions) {
    super();
    this.now = o.now ?? (() => performance.now());
  }

  get name(): string {
    return this.o.name;
  }

  /** First claim now (so a lone instance leads from its first second), then the heartbeat. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick(this.o.takeOverAtStart === true);
    this.heartbeat = setInterval(() => void this.tick(), Math.max(10, Math.floor(this.o.ttlMs / 3)));
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const held = this.held;
    this.lose('stopping');
    if (held) await this.o.store.release(this.o.name, this.o.holder, held.term).catch(() => undefined);
  }

  term(): number | null {
    return this.held && this.now() < this.held.until ? this.held.term : null;
  }

  async check(): Promise<void> {
    const term = this.term();
    if (term === null) throw new LeaseLostError(this.o.name, null);
    await this.o.store.check(this.o.name, this.o.holder, term);
  }

  private async tick(takeOver = false): Promise<void> {
    const sentAt = this.now();
    let term: number | null;
    try {
      term = await this.o.store.claim(this.o.name, this.o.holder, this.o.ttlMs, takeOver);
    } catch (err) {
      // The expiry timer ends the lease if the database stays away.
      this.o.logger.warn({ lease: this.o.name, err }, 'leader lease: claim failed');
      return;
    }
    // Under load a claim can wait in the pool longer than the heartbeat, while newer ones are sent:
    // its answer still renews the lease from when it was sent. Answers older than one already
    // applied, or come after the lease they would renew ran out, say nothing about now.
    if (this.stopped || sentAt <= this.lastApplied || sentAt + this.o.ttlMs <= this.now()) return;
    this.lastApplied = sentAt;
    if (term === null) return this.lose('held by another instance');
    // Our lease ran out and we took it again: what was started under the old term is void.
    if (this.held && this.held.term !== term) this.lose('expired before it was renewed');
    const fresh = this.held === null;
    this.held = { term, until: sentAt + this.o.ttlMs };
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.lose('not renewed in time'), Math.max(0, this.held.until - this.now()));
    this.expiry.unref();
    if (fresh) {
      this.o.logger.info({ lease: this.o.name, term }, 'leader lease acquired');
      this.emit('acquired', term);
    }
  }

  private lose(why: string): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
    const held = this.held;
    if (!held) return;
    this.held = null;
    this.o.logger.warn({ lease: this.o.name, term: held.term, why }, 'leader lease lost: leader-only work stops');
    this.emit('lost', held.term);
  }
}

/** Runs leader-only work one transition at a time: `lead` on 'acquired', `stepDown` on 'lost'. */
export function whileLeader(
  gate: LeaderGate,
  lead: (term: number) => Promise<void>,
  stepDown: () => Promise<void>,
  logger: Logger,
): { settled(): Promise<void>; stop(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  let leading = false;
  const run = (step: () => Promise<void>): void => {
    chain = chain.then(step).catch((err: unknown) => logger.error({ lease: gate.name, err }, 'leader-only work failed to start or stop'));
  };
  const onAcquired = (term: number): void => run(async () => {
    if (leading) await stepDown();
    leading = true;
    await lead(term);
  });
  const onLost = (): void => run(async () => {
    if (!leading) return;
    leading = false;
    await stepDown();
  });
  gate.on('acquired', onAcquired);
  gate.on('lost', onLost);
  const term = gate.term();
  if (term !== null) onAcquired(term);
  return {
    settled: () => chain,
    async stop() {
      gate.off('acquired', onAcquired);
      gate.off('lost', onLost);
      onLost();
      await chain;
    },
  };
}
