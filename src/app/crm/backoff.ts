/**
 * Delay before the next attempt of an outbox entry: 2 s, 4 s, 8 s … capped at 10 minutes, so
 * that with the default 12 attempts an entry keeps trying for about an hour of outage before it
 * is parked. Deterministic (no jitter): instances do not synchronise on one row, they claim
 * different rows.
 */
export function backoffMs(attemptsSoFar: number, baseMs = 2_000, capMs = 600_000): number {
  const exp = Math.min(30, Math.max(0, attemptsSoFar - 1));
  return Math.min(capMs, baseMs * 2 ** exp);
}
