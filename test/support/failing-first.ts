/** A store method that fails its first calls, as a database does while it is locked or away. */
export interface FailingFirst<A extends unknown[], R> {
  readonly call: (...args: A) => Promise<R>;
  /** Failures still to come. */
  left(): number;
}

/** `fn`, except that its first `times` calls throw `message` instead of running. */
export function failingFirst<A extends unknown[], R>(times: number, fn: (...args: A) => Promise<R>, message = 'SQLITE_BUSY: database is locked'): FailingFirst<A, R> {
  let left = times;
  return {
    async call(...args) {
      if (left > 0) {
        left -= 1;
        throw new Error(message);
      }
      return fn(...args);
    },
    left: () => left,
  };
}
