import type { AmiRawMessage } from 'asterisk-manager';

/** An AMI message as the connector sees it: keys lowercased, values verbatim strings. */
export type AmiEvent = Readonly<Record<string, string>>;

/** Keys whose repeats are all meaningful (joined by LF); for any other key the first value wins. */
const MULTI = new Set(['output', 'chanvariable']);

/**
 * Turns asterisk-manager's parsed message into an AmiEvent. The package lowercases keys (fine),
 * turns repeated keys into arrays and `Variable`/`ChanVariable` lines into objects — which breaks
 * VarSet (`Variable: NAME` became `{ NAME: '' }`): both are flattened back to strings here.
 */
export function normalizeAmiMessage(raw: AmiRawMessage): AmiEvent {
  const out: Record<string, string> = {};
  for (const key in raw) {
    const value = raw[key];
    if (value === undefined) continue;
    const k = key.toLowerCase();
    if (typeof value === 'string') out[k] = own(value);
    else if (Array.isArray(value)) out[k] = own(MULTI.has(k) ? value.join('\n') : String(value[0] ?? ''));
    else out[k] = Object.entries(value).map(([n, v]) => (v === '' ? n : `${n}=${v}`)).join('\n');
  }
  return out;
}

/**
 * The package's values are slices of its whole read buffer (tens of KB): one Uniqueid kept for a
 * call's life would keep that buffer alive. V8 shares storage only for substrings of 13 characters
 * or more; those are copied: slicing a concatenation flattens it into storage of its own first.
 */
function own(value: string): string {
  return value.length < 13 ? value : ` ${value}`.slice(1);
}

/** Case-insensitive read of a field (callers may spell keys as Asterisk does: `DialStatus`). */
export function field(ev: AmiEvent, key: string): string | undefined {
  return ev[key.toLowerCase()];
}
