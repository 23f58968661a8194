/**
 * The FastAGI wire format, pure: Asterisk opens with `agi_*: value` lines and an empty line, then
 * answers each command with one reply line (`200 result=…`), a multi-line `520-…` usage block, or a
 * `510`/`511` error; `HANGUP` may arrive inline at any moment when the channel hangs up.
 */

export interface AgiEnvironment {
  /** agi_* variables without the prefix (`network_script`, `uniqueid`, `callerid`…). */
  readonly vars: Readonly<Record<string, string>>;
  /** agi_arg_1…N in order. */
  readonly args: readonly string[];
}

export type EnvironmentResult =
  | { readonly ok: true; readonly env: AgiEnvironment }
  | { readonly ok: false; readonly problem: string };

/** Lines of the opening block (without the final empty line) → the environment. */
export function parseAgiEnvironment(lines: readonly string[]): EnvironmentResult {
  const vars: Record<string, string> = {};
  const args: string[] = [];
  for (const [i, line] of lines.entries()) {
    // Split on the first ': ' only: values (agi_request, channel names) contain colons.
    const sep = line.indexOf(': ');
    const key = sep < 0 ? line.replace(/:$/, '') : line.slice(0, sep);
    const value = sep < 0 ? '' : line.slice(sep + 2);
    if (!/^agi_[a-z0-9_]+$/.test(key)) {
      return { ok: false, problem: `line ${i + 1} of the AGI environment is not an agi_* variable: ${printable(line)}` };
    }
    const name = key.slice(4);
    const arg = /^arg_(\d+)$/.exec(name);
    if (arg) args[Number(arg[1]) - 1] = value;
    else vars[name] = value;
  }
  if (lines.length === 0) return { ok: false, problem: 'empty AGI environment' };
  for (let i = 0; i < args.length; i++) args[i] ??= '';
  return { ok: true, env: { vars, args } };
}

export type AgiReply =
  /** `200 result=N [(value)]`: value is null when there are no parentheses (e.g. an unset variable). */
  | { readonly code: 200; readonly result: string; readonly value: string | null; readonly line: string }
  /** 510 invalid command, 511 dead channel, 520 usage (multi-line joined), anything else. */
  | { readonly code: number; readonly result: null; readonly value: null; readonly line: string };

export type ReplyEvent =
  | { readonly kind: 'reply'; readonly reply: AgiReply }
  | { readonly kind: 'hangup' }
  | { readonly kind: 'garbage'; readonly line: string };

/**
 * Line-driven reply reader: feed each line Asterisk sends after a command; it yields the reply
 * once complete (a `520-` block ends at `520 …`), a hangup notice, or garbage.
 */
export class ReplyReader {
  private usage: string[] | null = null;

  line(line: string): ReplyEvent | null {
    if (this.usage !== null) {
      if (/^520 /.test(line)) {
        const text = [...this.usage, line.slice(4)].join('\n');
        this.usage = null;
        return { kind: 'reply', reply: { code: 520, result: null, value: null, line: text } };
      }
      this.usage.push(line);
      return null;
    }
    if (line === 'HANGUP') return { kind: 'hangup' };
    if (line.startsWith('520-')) {
      this.usage = [line.slice(4)];
      return null;
    }
    const m = /^(\d{3}) ?(.*)$/.exec(line);
    if (!m) return line === '' ? null : { kind: 'garbage', line };
    const code = Number(m[1]);
    const rest = m[2] ?? '';
    if (code !== 200) return { kind: 'reply', reply: { code, result: null, value: null, line } };
    const r = /^result=(-?\d+)(?: \((.*)\))?/.exec(rest);
    if (!r) return { kind: 'garbage', line };
    return { kind: 'reply', reply: { code: 200, result: r[1] ?? '', value: r[2] ?? null, line } };
  }
}

/** `GET VARIABLE` / `GET FULL VARIABLE` reply → the value, or null when unset. */
export function variableValue(reply: AgiReply): string | null {
  if (reply.code !== 200 || reply.result !== '1') return null;
  return reply.value;
}

/** A double-quoted AGI argument: backslashes and quotes escaped, line breaks removed (one command per line). */
export function quoteArg(value: string): string {
  return `"${value.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Shows a line in a log without control bytes. */
export function printable(line: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
