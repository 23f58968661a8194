import type { Logger } from '../../adapters/logging/logger.ts';
import { ChannelCounter } from './channel-counter.ts';
import type { ChannelStore } from './ports.ts';
import { FreshRead } from '../shared/fresh-read.ts';

export interface SharedChannelsOptions {
  readonly store: ChannelStore;
  readonly clock: { now(): number };
  readonly logger: Logger;
  /** How often the counts are read again (the snapshot is at most this plus one read old). */
  readonly refreshMs: number;
  /** How long a claim on a last channel holds before its attempt is stored (a stuck write must not hold it for ever). */
  readonly claimMs: number;
  /** How long a claim holds once its attempt is stored: until every instance's snapshot has read it. */
  readonly staleMs: number;
}

/** Attempts older than this are not counted: a call whose end was never stored must not hold a channel for ever. */
const OPEN_ATTEMPT_HORIZON_MS = 12 * 3_600_000;
/**
 * A claim's expiry is set by the database's clock when its statement runs, after this instance
 * asked: asking time + hold is a lower bound, less this much for clocks that tick at other rates.
 */
const CLOCK_GUARD_MS = 200;
/**
 * After the database refused a trunk's last channel, this instance refuses it without asking for
 * this long: on a full trunk every route request would otherwise be a refused write.
 */
const REFUSED_FOR_MS = 100;

/**
 * Channels in use per trunk across every instance on one database. Each instance reads the counts
 * of all open attempts every `refreshMs` and adds its own changes since that read began (its
 * writes are stored behind the route answers, so the read may not show them yet). A snapshot is
 * at most `refreshMs` plus one read old, so two instances can both see a channel free: where that
 * would do harm — a trunk's last free channel — the route takes it through an atomic claim.
 */
export class SharedChannels extends ChannelCounter {
  private stored = new Map<string, number>();
  /** This instance's acquisitions minus releases since the snapshot in use began its read. */
  private sinceSnapshot = new Map<string, number>();
  /** The same, since the read under way began (it becomes `sinceSnapshot` when that read lands). */
  private sinceRead: Map<string, number> | null = null;
  private readonly reads = new FreshRead(() => this.read());
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  /** The claims this instance holds: trunk → call, and until when (this instance's clock) it surely holds in the database. */
  private readonly held = new Map<string, { readonly callId: string; readonly until: number }>();
  /** Trunks whose last channel the database just refused: until when (this instance's clock). */
  private readonly refused = new Map<string, number>();
  /** Claims being let go of, by trunk. */
  private readonly drops = new Map<string, Promise<void>>();

  constructor(private readonly o: SharedChannelsOptions) {
    super();
  }

  override acquire(callId: string, trunkId: string): void {
    this.release(callId);
    super.acquire(callId, trunkId);
    this.shift(trunkId, 1);
  }

  override release(callId: string): void {
    const trunk = this.trunkOf(callId);
    if (trunk === undefined) return;
    super.release(callId);
    this.shift(trunk, -1);
    // The channel is free again: its claim has nothing left to protect.
    this.dropClaim(trunk, callId);
  }

  /**
   * A call another instance (or an earlier process) routed ended here: the stored counts include
   * it until they are read again, so it is taken off them now, and they are read again.
   */
  override ended(callId: string, trunkId: string | null): void {
    if (this.trunkOf(callId) !== undefined || trunkId === null) {
      this.release(callId);
      return;
    }
    const n = (this.sinceSnapshot.get(trunkId) ?? 0) - 1;
    this.sinceSnapshot.set(trunkId, n);
    void this.refresh();
  }

  override busy(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const trunk of new Set([...this.stored.keys(), ...this.sinceSnapshot.keys(), ...Object.keys(super.busy())])) {
      const n = this.inUse(trunk);
      if (n > 0) out[trunk] = n;
    }
    return out;
  }

  override inUse(trunkId: string): number {
    const shared = (this.stored.get(trunkId) ?? 0) + (this.sinceSnapshot.get(trunkId) ?? 0);
    // Never fewer than the calls this instance itself holds on the trunk.
    return Math.max(shared, super.inUse(trunkId));
  }

  override async claimLast(trunkId: string, callId: string): Promise<boolean> {
    // Answered here when the database would refuse too (asking costs a write on a full trunk's
    // every route request): this instance's own claim for another call still on the trunk, or a
    // refusal just now.
    const now = this.o.clock.now();
    const mine = this.held.get(trunkId);
    if (mine?.callId !== callId) {
      if (mine && this.trunkOf(mine.callId) === trunkId && now < mine.until) return false;
      if (now < (this.refused.get(trunkId) ?? 0)) return false;
    }
    // A claim this instance let go of must be gone before it claims again.
    await this.drops.get(trunkId);
    const asked = this.o.clock.now();
    const ok = await this.o.store.claimLast(trunkId, callId, this.o.claimMs);
    if (ok) this.held.set(trunkId, { callId, until: asked + this.o.claimMs - CLOCK_GUARD_MS });
    else {
      this.refused.set(trunkId, this.o.clock.now() + REFUSED_FOR_MS);
      // Another instance may hold it: its attempt will show in the counts; read them again now.
      void this.refresh();
    }
    return ok;
  }

  override claimStored(trunkId: string, callId: string): void {
    const mine = this.held.get(trunkId);
    if (mine?.callId !== callId) return;
    this.held.set(trunkId, { callId, until: Math.min(mine.until, this.o.clock.now() + this.o.staleMs - CLOCK_GUARD_MS) });
    this.o.store.holdClaim(trunkId, callId, this.o.staleMs)
      .catch((err: unknown) => this.o.logger.warn({ err, trunk: trunkId }, 'channels: shortening a last-channel claim failed; it expires on its own'));
  }

  override dropClaim(trunkId: string, callId: string): void {
    if (this.held.get(trunkId)?.callId !== callId) return;
    this.held.delete(trunkId);
    const drop = this.o.store.holdClaim(trunkId, callId, 0)
      .catch((err: unknown) => this.o.logger.warn({ err, trunk: trunkId }, 'channels: dropping a last-channel claim failed; it expires on its own'))
      .finally(() => {
        if (this.drops.get(trunkId) === drop) this.drops.delete(trunkId);
      });
    this.drops.set(trunkId, drop);
  }

  /** Reads the counts again (see FreshRead: resolves after a read that began after this call). */
  refresh(): Promise<void> {
    return this.reads.refresh();
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.o.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reads.settled();
  }

  private async read(): Promise<void> {
    const since = new Map<string, number>();
    this.sinceRead = since;
    try {
      const counts = await this.o.store.busyByTrunk(this.o.clock.now() - OPEN_ATTEMPT_HORIZON_MS);
      this.stored = counts;
      this.sinceSnapshot = since;
      if (this.failing) this.o.logger.info('channels: reading the channels in use works again');
      this.failing = false;
    } catch (err) {
      // Once per outage, not twice a second.
      if (!this.failing) this.o.logger.warn({ err }, 'channels: reading the channels in use failed; the last counts stay in use (plus this instance\'s own calls)');
      this.failing = true;
    } finally {
      this.sinceRead = null;
    }
  }

  private shift(trunkId: string, by: number): void {
    for (const m of [this.sinceSnapshot, this.sinceRead]) {
      if (!m) continue;
      const n = (m.get(trunkId) ?? 0) + by;
      if (n === 0) m.delete(trunkId);
      else m.set(trunkId, n);
    }
  }
}
