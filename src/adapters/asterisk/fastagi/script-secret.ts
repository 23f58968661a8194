import crypto from 'node:crypto';

/**
 * The shared secret a dialplan may carry in its AGI URL: `agi://host:4573/route?secret=…`.
 * Asterisk sends what follows the host as `agi_network_script` (`route?secret=…`).
 */
export function scriptSecret(script: string): string | null {
  const q = script.indexOf('?');
  if (q < 0) return null;
  return new URLSearchParams(script.slice(q + 1)).get('secret');
}

/** The script without its query, fit for a log line (the secret never reaches the log). */
export function scriptName(script: string): string {
  const q = script.indexOf('?');
  return (q < 0 ? script : script.slice(0, q)).replace(/^\//, '');
}

/** Constant-time comparison (hashes first, so the length does not leak either). */
export function secretMatches(given: string | null, expected: string): boolean {
  const digest = (s: string): Buffer => crypto.createHash('sha256').update(s, 'utf8').digest();
  return given !== null && crypto.timingSafeEqual(digest(given), digest(expected));
}
