/** Numbers (sum of range capacities) per kind of a plan: DEF codes are mobile, ABC landline. */
export interface NumbersByKind {
  readonly mobile: number;
  readonly landline: number;
}

const KIND_NAMES: Readonly<Record<keyof NumbersByKind, string>> = { mobile: 'DEF (mobile)', landline: 'ABC (landline)' };

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1).replace(/\.0$/, '')} %`;
}

/**
 * Why replacing the active plan by `next` would gut routing, or null when it would not: a kind
 * of numbers the active plan has left with no ranges, or losing more than `maxShrink` (a
 * fraction) of its numbers. Each problem says by how much.
 */
export function planShrinkProblem(active: NumbersByKind, next: NumbersByKind, maxShrink: number): string | null {
  const problems: string[] = [];
  for (const kind of ['mobile', 'landline'] as const) {
    const before = active[kind];
    const after = next[kind];
    if (before <= 0) continue;
    if (after === 0) {
      problems.push(`the files have no ${KIND_NAMES[kind]} ranges, so the active plan's ${before.toLocaleString('en-US')} ${kind} numbers would become unknown`);
    } else if ((before - after) / before > maxShrink) {
      problems.push(`${KIND_NAMES[kind]} numbers would drop from ${before.toLocaleString('en-US')} to ${after.toLocaleString('en-US')} (−${percent((before - after) / before)}, more than the ${percent(maxShrink)} allowed)`);
    }
  }
  return problems.length === 0 ? null : problems.join('; ');
}

/**
 * The same guard for a full ported-numbers feed, which replaces the override set: null, or why
 * the feed looks truncated (it would drop more than `maxShrink` of the active set's numbers).
 */
export function portedShrinkProblem(active: number, next: number, maxShrink: number): string | null {
  if (active <= 0 || (active - next) / active <= maxShrink) return null;
  return `the override set would drop from ${active.toLocaleString('en-US')} to ${next.toLocaleString('en-US')} numbers (−${percent((active - next) / active)}, more than the ${percent(maxShrink)} allowed)`;
}
