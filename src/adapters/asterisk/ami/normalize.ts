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
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const k = key.toLowerCase();
    if (typeof value === 'string') out[k] = value;
    else if (Array.isArray(value)) out[k] = MULTI.has(k) ? value.join('\n') : String(value[0] ?? '');
    else out[k] = Object.entries(value).map(([n, v]) => (v === '' ? n : `${n}=${v}`)).join('\n');
  }
  return detached(out);
}

/**
 * The package's values are slices of its whole read buffer (tens of KB): one Uniqueid kept for a
 * call's life would keep that buffer alive. A JSON round trip gives every value its own storage.
 */
function detached(event: Record<string, string>): AmiEvent {
  return JSON.parse(JSON.stringify(event)) as AmiEvent;
}

/** Case-insensitive read of a field (callers may spell keys as Asterisk does: `DialStatus`). */
export function field(ev: AmiEvent, key: string): string | undefined {
  return ev[key.toLowerCase()];
}
