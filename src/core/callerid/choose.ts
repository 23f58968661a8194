import type { CompiledTrunk } from '../rules/compile.ts';
import type { CallerIdCandidate } from './candidates.ts';

/** The number one trunk presents, and which chain entry (if any) picked it. */
export interface CallerIdChoice {
  readonly number: string | null;
  /** The winning candidate; null when the trunk's own number was used as the fallback or it has none. */
  readonly candidate: CallerIdCandidate | null;
}

const NO_NUMBER: CallerIdChoice = Object.freeze({ number: null, candidate: null });

/**
 * Runs the chain over the numbers THIS trunk can present (DECISIONS §11): the first candidate the
 * trunk owns wins; if none, the trunk's own first enabled number. A GSM trunk owns only its SIM's
 * number, so it always presents that. A trunk with no numbers presents none (the provider's own).
 */
export function chooseCallerId(chain: readonly CallerIdCandidate[], trunk: CompiledTrunk): CallerIdChoice {
  for (const candidate of chain) {
    if (trunk.presentableSet.has(candidate.number)) return { number: candidate.number, candidate };
  }
  const own = trunk.presentable[0];
  return own === undefined ? NO_NUMBER : { number: own, candidate: null };
}

/** The explanation of a choice (explain mode only). */
export function describeCallerId(choice: CallerIdChoice, trunk: CompiledTrunk, chain: readonly CallerIdCandidate[]): string {
  const c = choice.candidate;
  if (c) {
    const skipped = chain.indexOf(c);
    const note = skipped > 0 ? ` (${skipped} higher-priority number(s) not presentable on trunk ${trunk.id})` : '';
    switch (c.level) {
      case 'regional-prefix':
        return `regional number for prefix +${c.key}${note}`;
      case 'regional-country':
        return `regional number for country ${c.key}${note}`;
      case 'personal-user':
        return `personal number of user ${c.key}${note}`;
      case 'personal-department':
        return `personal number of department ${c.key}${note}`;
      case 'main':
        return `main number${note}`;
    }
  }
  if (choice.number === null) return `trunk ${trunk.id} has no number of its own: the provider presents its default`;
  return chain.length === 0
    ? `no caller-ID rule applies: trunk ${trunk.id}'s own number`
    : `none of the ${chain.length} number(s) the rules offer can be presented on trunk ${trunk.id}: its own number`;
}
