import type { CallAttemptRecord, StoredCall } from './call-record.ts';

/** A call being routed: its row and attempts as this instance last stored them. */
export interface RoutingEntry {
  call: StoredCall;
  attempts: CallAttemptRecord[];
  /**
   * Planned by this instance's route service, which has made every write of it since: the entry
   * is what is stored (once the route writer has drained), so closing the call needs no read.
   */
  readonly own?: boolean;
}

/**
 * The calls this instance is routing, by channel uniqueid and by call id, so a route request
 * reads no database on the hot path. Bounded: the oldest entries go first (a call whose end was
 * never reported). A miss falls back to the database.
 */
export class RouteCache {
  private readonly byChannel = new Map<string, RoutingEntry>();
  private readonly channelOf = new Map<string, string>();

  constructor(private readonly capacity = 50_000) {}

  get(uniqueid: string): RoutingEntry | undefined {
    return this.byChannel.get(uniqueid);
  }

  byCallId(callId: string): RoutingEntry | undefined {
    const ch = this.channelOf.get(callId);
    return ch === undefined ? undefined : this.byChannel.get(ch);
  }

  set(uniqueid: string, entry: RoutingEntry): void {
    const old = this.channelOf.get(entry.call.id);
    if (old !== undefined && old !== uniqueid) this.byChannel.delete(old);
    this.byChannel.delete(uniqueid);
    this.byChannel.set(uniqueid, entry);
    this.channelOf.set(entry.call.id, uniqueid);
    if (this.byChannel.size > this.capacity) {
      const oldest = this.byChannel.keys().next().value;
      if (oldest !== undefined) this.dropChannel(oldest);
    }
  }

  delete(callId: string): void {
    const ch = this.channelOf.get(callId);
    if (ch !== undefined) this.dropChannel(ch);
  }

  get size(): number {
    return this.byChannel.size;
  }

  private dropChannel(uniqueid: string): void {
    const entry = this.byChannel.get(uniqueid);
    this.byChannel.delete(uniqueid);
    if (entry && this.channelOf.get(entry.call.id) === uniqueid) this.channelOf.delete(entry.call.id);
  }
}
