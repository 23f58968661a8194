import { localTime } from './sim-limits.ts';
import type { Failure, TrunkBlock } from './snapshot.ts';

/** Explanation text of a health block (explain only, DECISIONS §28): times in the rules' zone. */
export function describeBlock(block: TrunkBlock, timeZone: string): string {
  switch (block.kind) {
    case 'open':
      return `open since ${localTime(block.since, timeZone)}, ${failureSummary(block.failures)}; tried again with one call from ${localTime(block.until, timeZone)}`;
    case 'trial':
      return `half-open: a trial call started at ${localTime(block.trialSince, timeZone)} is under way (open since ${localTime(block.since, timeZone)})`;
    case 'limit': {
      const until = block.until === null ? '' : `; free again at ${localTime(block.until, timeZone)}`;
      switch (block.limit) {
        case 'callsPerHour': return `SIM limit: ${block.used} calls in the last hour, limit ${block.max}${until}`;
        case 'callsPerDay': return `SIM limit: ${block.used} calls today, limit ${block.max}${until}`;
        case 'minutesPerDay': return `SIM limit: ${block.used} minutes today, limit ${block.max}${until}`;
        case 'minGapSeconds': return `SIM limit: the last call started ${block.used} s ago, minimum gap ${block.max} s${until}`;
      }
    }
  }
}

/** `5 failures (68 ×4, 34 ×1)`: most frequent cause first. */
export function failureSummary(failures: readonly Failure[]): string {
  const byCause = new Map<number, number>();
  for (const f of failures) byCause.set(f.cause, (byCause.get(f.cause) ?? 0) + 1);
  const parts = [...byCause].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([cause, n]) => `${cause} ×${n}`);
  return `${failures.length} failure${failures.length === 1 ? '' : 's'} (${parts.join(', ')})`;
}
