/**
 * A shared snapshot's re-read, coalesced: `refresh()` resolves once a read that began after the
 * call is done, because a read already under way may have missed the caller's latest writes.
 * Callers arriving meanwhile share that next read.
 */
export class FreshRead {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly read: () => Promise<void>) {}

  refresh(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.refresh();
      });
      return this.queued;
    }
    this.running = this.read().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Waits until no read is under way or queued (on stop). */
  async settled(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running);
  }
}
