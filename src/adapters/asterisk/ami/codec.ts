/**
 * AMI wire format: `Key: Value` lines ending CRLF (bare LF accepted), a blank line ends a message.
 * The server greets with one banner line and no blank line after it. Keys are case-insensitive.
 */

export type AmiField = readonly [key: string, value: string];

/** One AMI message (action, response or event) with its fields in wire order. */
export interface AmiMessage {
  readonly fields: readonly AmiField[];
}

/** Asterisk accepts at most 128 headers in one message. */
export const MAX_FIELDS = 128;
/** A line longer than this is garbage, not AMI: the parser drops the buffer and reports it. */
export const MAX_LINE = 64 * 1024;

const BANNER = /^Asterisk Call Manager\/(\S+)$/;
// Some peers join two messages with a single CRLF: a second `Event:` (or `Action:`) line inside one
// message starts a new one. Only a repeat of the same key splits: an action may legitimately carry an
// `Event:` header (asterisk-manager's Login does). `Response:` is not a starter: OriginateResponse
// events carry one.
const STARTERS = new Set(['event', 'action']);

export function amiGet(msg: AmiMessage, key: string): string | undefined {
  const k = key.toLowerCase();
  for (const [fk, v] of msg.fields) if (fk.toLowerCase() === k) return v;
  return undefined;
}

export function amiGetAll(msg: AmiMessage, key: string): string[] {
  const k = key.toLowerCase();
  return msg.fields.filter(([fk]) => fk.toLowerCase() === k).map(([, v]) => v);
}

/** Keys lowercased, first value wins; repeated keys (ChanVariable, Output) joined by LF. */
export function amiRecord(msg: AmiMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of msg.fields) {
    const lk = k.toLowerCase();
    out[lk] = lk in out && (lk === 'chanvariable' || lk === 'output') ? `${out[lk]}\n${v}` : (out[lk] ?? v);
  }
  return out;
}

export function encodeAmiMessage(fields: readonly AmiField[]): string {
  let s = '';
  for (const [k, v] of fields) s += `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`;
  return `${s}\r\n`;
}

export interface ParserProblem {
  readonly kind: 'line-too-long' | 'not-a-field' | 'too-many-fields';
  readonly detail: string;
}

/**
 * Incremental parser for one direction of an AMI socket. Feed it chunks as they arrive; it returns
 * complete messages and never throws on garbage: malformed lines are reported through `onProblem`
 * and skipped, so one bad peer line cannot take the connection down.
 */
export class AmiParser {
  private buffer = '';
  private current: AmiField[] = [];
  private expectBanner: boolean;
  banner: string | null = null;

  constructor(options: { expectBanner?: boolean; onProblem?: (p: ParserProblem) => void } = {}) {
    this.expectBanner = options.expectBanner ?? false;
    this.onProblem = options.onProblem ?? (() => undefined);
  }

  private readonly onProblem: (p: ParserProblem) => void;

  push(chunk: string | Buffer): AmiMessage[] {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: AmiMessage[] = [];
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && this.buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(this.buffer.slice(start, end), out);
      start = nl + 1;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_LINE) {
      this.onProblem({ kind: 'line-too-long', detail: `${this.buffer.length} bytes without a line end` });
      this.buffer = '';
      this.current = [];
    }
    return out;
  }

  /** A message still open at end of stream (no final blank line) is returned here. */
  flush(): AmiMessage[] {
    const out: AmiMessage[] = [];
    if (this.buffer.length > 0) this.line(this.buffer, out);
    this.buffer = '';
    if (this.current.length > 0) out.push({ fields: this.current });
    this.current = [];
    return out;
  }

  private line(line: string, out: AmiMessage[]): void {
    if (this.expectBanner) {
      this.expectBanner = false;
      const m = BANNER.exec(line);
      if (m) {
        this.banner = m[1] ?? null;
        return;
      }
    }
    if (line === '') {
      if (this.current.length > 0) out.push({ fields: this.current });
      this.current = [];
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      // Old `Response: Follows` command output has free text lines; keep them as Output. A message
      // made only of such lines is kept too, so that the receiver can answer or log it (Asterisk
      // answers it "Missing action in request").
      this.onProblem({ kind: 'not-a-field', detail: line.slice(0, 200) });
      if (this.current.length < MAX_FIELDS) this.current.push(['Output', line]);
      return;
    }
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).replace(/^ /, '');
    const lk = key.toLowerCase();
    if (this.current.length > 0 && STARTERS.has(lk) && this.current.some(([k]) => k.toLowerCase() === lk)) {
      out.push({ fields: this.current });
      this.current = [];
    }
    if (this.current.length >= MAX_FIELDS) {
      this.onProblem({ kind: 'too-many-fields', detail: `more than ${MAX_FIELDS} headers` });
      return;
    }
    this.current.push([key, value]);
  }
}
