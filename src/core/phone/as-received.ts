import { escapeControls } from '../text/printable.ts';

/**
 * The widest number kept as received. A real one is far shorter (E.164 has at most 15 digits;
 * with a prefix, spaces and brackets, under 30 characters); anything longer is invalid anyway.
 */
export const MAX_RECEIVED_NUMBER = 64;

/**
 * A number as received, kept beside its E.164 form for the record (call lists, a refused
 * call's row): control characters escaped and cut to MAX_RECEIVED_NUMBER characters, so an
 * invalid number is refused with its reason instead of failing the write that records it.
 */
export function numberAsReceived(raw: string): string {
  const safe = escapeControls(raw.trim());
  return safe.length <= MAX_RECEIVED_NUMBER ? safe : `${safe.slice(0, MAX_RECEIVED_NUMBER - 1)}…`;
}
