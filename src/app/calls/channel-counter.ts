/**
 * Channels in use per trunk, counted from live attempts: a call holds its current attempt's trunk
 * from the moment the route answers until its next route request (the attempt ended) or the end
 * of the call. Counted per connector instance; a trunk's `channels` limit applies to the calls
 * this instance routes.
 */
export class ChannelCounter {
  private readonly byCall = new Map<string, string>();
  private readonly byTrunk = new Map<string, number>();

  acquire(callId: string, trunkId: string): void {
    this.release(callId);
    this.byCall.set(callId, trunkId);
    this.byTrunk.set(trunkId, (this.byTrunk.get(trunkId) ?? 0) + 1);
  }

  release(callId: string): void {
    const trunk = this.byCall.get(callId);
    if (trunk === undefined) return;
    this.byCall.delete(callId);
    const left = (this.byTrunk.get(trunk) ?? 1) - 1;
    if (left <= 0) this.byTrunk.delete(trunk);
    else this.byTrunk.set(trunk, left);
  }

  busy(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.byTrunk);
  }

  inUse(trunkId: string): number {
    return this.byTrunk.get(trunkId) ?? 0;
  }
}
