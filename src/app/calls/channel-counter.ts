/**
 * Channels in use per trunk, counted from live attempts: a call holds its current attempt's trunk
 * from the moment the route answers until its next route request (the attempt ended) or the end
 * of the call. This one counts the calls of one instance in memory; `SharedChannels` adds the
 * other instances' calls from the database.
 */
export class ChannelCounter {
  private readonly byCall = new Map<string, string>();
  private readonly byTrunk = new Map<string, number>();
  private readonly claims = new Map<string, string>();

  acquire(callId: string, trunkId: string): void {
    this.release(callId);
    this.byCall.set(callId, trunkId);
    this.byTrunk.set(trunkId, (this.byTrunk.get(trunkId) ?? 0) + 1);
  }

  release(callId: string): void {
    const trunk = this.byCall.get(callId);
    if (trunk === undefined) return;
    this.byCall.delete(callId);
    if (this.claims.get(trunk) === callId) this.claims.delete(trunk);
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

  /** The call ended; `trunkId` is the trunk of its last attempt, if known (it may have been routed elsewhere). */
  ended(callId: string, _trunkId: string | null): void {
    this.release(callId);
  }

  /** The trunk this call holds a channel of, if any. */
  trunkOf(callId: string): string | undefined {
    return this.byCall.get(callId);
  }

  /**
   * Claims a trunk's last free channel for a call about to take it (route requests may await
   * between deciding and taking it); false when another call holds the claim.
   */
  async claimLast(trunkId: string, callId: string): Promise<boolean> {
    const holder = this.claims.get(trunkId);
    if (holder !== undefined && holder !== callId && this.byCall.get(holder) !== trunkId) return false;
    this.claims.set(trunkId, callId);
    return true;
  }

  /** The claiming call's attempt is stored: the count shows it from now on. */
  claimStored(trunkId: string, callId: string): void {
    if (this.claims.get(trunkId) === callId) this.claims.delete(trunkId);
  }

  /** The claiming call did not take the trunk after all. */
  dropClaim(trunkId: string, callId: string): void {
    if (this.claims.get(trunkId) === callId) this.claims.delete(trunkId);
  }
}
