/**
 * A tariff's billing increment, as carriers write it: `60/60` (every started minute), `1/1` (per
 * second), `60/1` (a first-minute minimum, then per second). `first` seconds are billed for any
 * answered call, then each started `step` seconds.
 */
export interface Increment {
  readonly first: number;
  readonly step: number;
}

/** Every started minute: what a tariff without an increment bills. */
export const PER_MINUTE: Increment = Object.freeze({ first: 60, step: 60 });

export const MAX_INCREMENT_SECONDS = 3600;

/** `60/1` → { first: 60, step: 1 }; an error message naming what is wrong otherwise. */
export function parseIncrement(text: string): Increment | string {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text);
  if (m === null) return `"${text}" is not a billing increment: write first/step in seconds, e.g. 60/60, 1/1 or 60/1`;
  const first = Number(m[1]);
  const step = Number(m[2]);
  if (first < 1 || step < 1) return `"${text}": both parts of a billing increment are at least 1 second`;
  if (first > MAX_INCREMENT_SECONDS || step > MAX_INCREMENT_SECONDS) return `"${text}": a billing increment part is at most ${MAX_INCREMENT_SECONDS} seconds`;
  if (step > first) return `"${text}": the step cannot be longer than the first billed period (write ${step}/${step} for whole ${step}-second steps)`;
  return { first, step };
}

export function incrementText(i: Increment): string {
  return `${i.first}/${i.step}`;
}

/** Billed seconds of a call that talked `durationSec` (a call that never talked bills nothing). */
export function billedSeconds(durationSec: number, i: Increment): number {
  if (!(durationSec > 0)) return 0;
  if (durationSec <= i.first) return i.first;
  return i.first + Math.ceil((durationSec - i.first) / i.step) * i.step;
}
