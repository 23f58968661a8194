/**
 * The AGI commands the double answers, with Asterisk's exact reply lines. Arguments are split the
 * way res_agi does: on spaces, double quotes group, a backslash escapes the next character.
 */

export function splitAgiArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      started = true;
    } else if (c === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if ((c === ' ' || c === '\t') && !inQuotes) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (started) out.push(cur);
  return out;
}

/** Usage texts res_agi prints in a 520 reply. GET VARIABLE's is verbatim from a real Asterisk 22 session. */
const USAGE: Readonly<Record<string, string>> = {
  'get variable':
    'Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set. Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the variable in parentheses.\nExample return code: 200 result=1 (testvariable)',
  'get full variable':
    'Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set or channel does not exist. Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the variable in parenthesis. Understands complex variable names and builtin variables, unlike GET VARIABLE.\nExample return code: 200 result=1 (testvariable)',
  'set variable': 'Sets a variable to the current channel.',
  verbose: 'Sends <replaceable>message</replaceable> to the console via verbose message system. <replaceable>level</replaceable> is the verbose level (1-4). Always returns <literal>1</literal>',
};

function usage(command: string): string {
  return `520-Invalid command syntax.  Proper usage follows:\n${USAGE[command] ?? ''}\n520 End of proper usage.`;
}

export interface AgiChannelAccess {
  /** A variable or function value (`CONNECTOR_CALL_ID`, `CHANNEL(linkedid)`…); undefined when unset. */
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** `${…}` substitution for GET FULL VARIABLE. */
  substitute(expression: string): string;
}

/** Answers one AGI command line (without its newline); returns the reply lines joined by LF. */
export function answerAgiCommand(line: string, channel: AgiChannelAccess): string {
  const args = splitAgiArgs(line);
  const word = (i: number): string => (args[i] ?? '').toLowerCase();
  if (word(0) === 'get' && word(1) === 'variable') {
    if (args.length !== 3) return usage('get variable');
    const v = channel.get(args[2] as string);
    return v === undefined ? '200 result=0' : `200 result=1 (${v})`;
  }
  if (word(0) === 'get' && word(1) === 'full' && word(2) === 'variable') {
    if (args.length < 4 || args.length > 5) return usage('get full variable');
    return `200 result=1 (${channel.substitute(args[3] as string)})`;
  }
  if (word(0) === 'set' && word(1) === 'variable') {
    if (args.length !== 4) return usage('set variable');
    channel.set(args[2] as string, args[3] as string);
    return '200 result=1';
  }
  if (word(0) === 'verbose') {
    if (args.length < 2 || args.length > 3) return usage('verbose');
    return '200 result=1';
  }
  if (word(0) === 'noop') return '200 result=0';
  if (word(0) === 'answer') return '200 result=0';
  if (word(0) === 'channel' && word(1) === 'status') return '200 result=6';
  return '510 Invalid or unknown command';
}
