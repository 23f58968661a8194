/**
 * Group commit for one kind of statement: requests arriving while a statement is running are
 * answered together by the next one. On a single SQLite connection every statement waits its
 * turn, so under load many small writes become few (each a commit of its own otherwise); with no
 * load, a request runs at once, alone. With `inFlight` > 1 (a connection pool), up to that many
 * batches run at once: a request arriving while one commits starts the next batch at once
 * instead of waiting for that commit, and the commits overlap on the server.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private running = 0;

  /**
   * `run` answers a batch: one result per input, in order. `onSplit` hears of a batch that failed
   * and is tried again one input at a time: when those succeed nobody sees an error, so without it
   * a cause that fails whole batches (a database that timed out) would go unseen.
   */
  constructor(
    private readonly run: (inputs: readonly In[]) => Promise<readonly Out[]>,
    private readonly maxBatch = 200,
    private readonly inFlight = 1,
    private readonly onSplit?: (err: unknown, size: number) => void,
  ) {}

  submit(input: In): Promise<Out> {
    const out = new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
    });
    if (this.running < this.inFlight) {
      this.running++;
      void this.loop();
    }
    return out;
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.slice(batch.length);
        try {
          const results = await this.run(batch.map((b) => b.input));
          batch.forEach((b, i) => b.resolve(results[i] as Out));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]?.reject(err);
            continue;
          }
          // One bad input must not fail the others: each alone, so only its own asker sees the error.
          this.onSplit?.(err, batch.length);
          for (const b of batch) {
            try {
              b.resolve((await this.run([b.input]))[0] as Out);
            } catch (one) {
              b.reject(one);
            }
          }
        }
      }
    } finally {
      this.running--;
    }
  }
}
