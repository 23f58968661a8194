/** Time and waiting, injectable so tests and benchmarks run in scaled time (DECISIONS §26). */
export interface CrmClock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemCrmClock: CrmClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock running `factor` times faster than real time: `sleep(1000)` with factor 100 waits 10 ms
 * and `now()` advances 100 ms per real millisecond. Used by the benchmark and the e2e tests.
 */
export function scaledClock(factor: number, origin = Date.now()): CrmClock {
  const realStart = performance.now();
  return {
    now: () => origin + (performance.now() - realStart) * factor,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / factor))),
  };
}

/**
 * A virtual clock: time moves only when someone sleeps, by exactly the time slept. Work between
 * sleeps takes no virtual time, so a drain measured with it shows what the Bitrix24 limits alone
 * allow (the benchmark reports the real processing time beside it).
 */
export function virtualClock(start = Date.now()): CrmClock {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
