/**
 * Seed 000 number masks: `+7928*******` = fixed digits plus `*` for exactly one digit. A mask
 * matches a number of exactly its length; the more fixed digits, the more specific it is.
 */
export interface CompiledMask {
  /** The mask as written in the rules. */
  readonly mask: string;
  readonly trunk: string;
  readonly priority: number;
  /** The E.164 digits pattern without `+`, `*` for any digit. */
  readonly pattern: string;
  /** Count of fixed digits: the sort key "more specific first". */
  readonly specificity: number;
}

const MASK_SYNTAX = /^\+?[\d*]+$/;

/** Null when the text is not a mask (only digits and `*`, optional leading `+`). */
export function parseMask(mask: string): { pattern: string; specificity: number } | null {
  const text = mask.trim();
  if (!MASK_SYNTAX.test(text)) return null;
  const pattern = text.startsWith('+') ? text.slice(1) : text;
  let specificity = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) !== 42 /* '*' */) specificity++;
  return { pattern, specificity };
}

/** Does the pattern match these E.164 digits? Plain loop: this runs on the hot path. */
export function maskMatches(pattern: string, digits: string): boolean {
  if (pattern.length !== digits.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern.charCodeAt(i);
    if (p !== 42 && p !== digits.charCodeAt(i)) return false;
  }
  return true;
}
