import { describe, expect, it } from 'vitest';
import { AmiParser, amiGet, amiGetAll, amiRecord, encodeAmiMessage, MAX_FIELDS, type AmiMessage, type ParserProblem } from '../../../../src/adapters/asterisk/ami/codec.ts';

const DIAL_END = 'Event: DialEnd\r\nPrivilege: call,all\r\nChannel: Local/100@phones-00000000;1\r\nAccountCode: \r\nDestChannel: Local/7916@trunk-answer-00000002;1\r\nDialStatus: ANSWER\r\n\r\n';
const STREAM = `Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n${DIAL_END}Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: ConnectorAttempt\r\nAttempt: 1\r\nDialStatus: CONGESTION\r\nHangupCause: 34\r\n\r\n`;

function parseAll(text: string, chunk?: (i: number) => number): { msgs: AmiMessage[]; problems: ParserProblem[]; banner: string | null } {
  const problems: ParserProblem[] = [];
  const p = new AmiParser({ expectBanner: true, onProblem: (x) => problems.push(x) });
  const msgs: AmiMessage[] = [];
  if (!chunk) msgs.push(...p.push(text));
  else for (let i = 0, n = 0; i < text.length; n++) {
    const size = chunk(n);
    msgs.push(...p.push(Buffer.from(text.slice(i, i + size))));
    i += size;
  }
  msgs.push(...p.flush());
  return { msgs, problems, banner: p.banner };
}

describe('AmiParser', () => {
  it('reads the banner, then messages with their fields in wire order', () => {
    const { msgs, problems, banner } = parseAll(STREAM);
    expect(banner).toBe('11.0.0');
    expect(problems).toEqual([]);
    expect(msgs.map((m) => amiGet(m, 'Event') ?? amiGet(m, 'Response'))).toEqual(['Success', 'DialEnd', 'UserEvent']);
    expect(msgs[1]!.fields[3]).toEqual(['AccountCode', '']);
    expect(amiGet(msgs[2]!, 'hangupcause')).toBe('34');
  });

  it('gives the same messages however the bytes are split, and with bare LF', () => {
    const whole = parseAll(STREAM).msgs;
    expect(parseAll(STREAM, () => 1).msgs).toEqual(whole);
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), 1 + (seed % 37));
    expect(parseAll(STREAM, rnd).msgs).toEqual(whole);
    expect(parseAll(STREAM.replace(/\r\n/g, '\n')).msgs).toEqual(whole);
  });

  it('keeps colons inside values (only the first ": " separates)', () => {
    const { msgs } = parseAll('Event: Newexten\r\nAppData: agi://127.0.0.1:4573/route,7916,1,,0\r\nCallerID: "A: B" <100>\r\n\r\n');
    expect(amiGet(msgs[0]!, 'AppData')).toBe('agi://127.0.0.1:4573/route,7916,1,,0');
    expect(amiGet(msgs[0]!, 'CallerID')).toBe('"A: B" <100>');
  });

  it('splits two events joined by a single CRLF, but not an action that carries an Event header', () => {
    const joined = parseAll('Event: Newstate\r\nChannel: A\r\nEvent: Hangup\r\nChannel: B\r\n\r\n').msgs;
    expect(joined.map((m) => amiGet(m, 'Event'))).toEqual(['Newstate', 'Hangup']);
    const login = parseAll('Action: login\r\nActionID: 1\r\nEvent: on\r\nSecret: s\r\nUsername: u\r\n\r\n').msgs;
    expect(login).toHaveLength(1);
    expect(amiGet(login[0]!, 'Username')).toBe('u');
    const originateResponse = parseAll('Event: OriginateResponse\r\nActionID: o1\r\nResponse: Failure\r\nReason: 0\r\n\r\n').msgs;
    expect(originateResponse).toHaveLength(1);
  });

  it('reports garbage without throwing and keeps it visible as Output; recovers after an endless line', () => {
    const { msgs, problems } = parseAll(`\u0000\u00ff not a header\r\n\r\n${'x'.repeat(70_000)}${DIAL_END}`, () => 1000);
    expect(problems.map((p) => p.kind)).toEqual(['not-a-field', 'line-too-long']);
    expect(msgs[0]!.fields).toEqual([['Output', '\u0000\u00ff not a header']]);
    expect(amiGet(msgs[msgs.length - 1]!, 'DialStatus')).toBe('ANSWER');
  });

  it('stops adding fields past Asterisk’s 128-header limit and says so', () => {
    const many = Array.from({ length: MAX_FIELDS + 5 }, (_, i) => `H${i}: v`).join('\r\n');
    const { msgs, problems } = parseAll(`Event: Big\r\n${many}\r\n\r\n`);
    expect(msgs[0]!.fields).toHaveLength(MAX_FIELDS);
    expect(problems.some((p) => p.kind === 'too-many-fields')).toBe(true);
  });
});

describe('AMI field helpers and encoder', () => {
  const msg: AmiMessage = { fields: [['Response', 'Success'], ['Output', 'line 1'], ['output', 'line 2'], ['ChanVariable', 'A=1'], ['ChanVariable', 'B=2'], ['Message', 'first'], ['Message', 'second']] };
  it('reads keys case-insensitively; repeated Output/ChanVariable are joined, other repeats keep the first', () => {
    expect(amiGetAll(msg, 'OUTPUT')).toEqual(['line 1', 'line 2']);
    expect(amiRecord(msg)).toEqual({ response: 'Success', output: 'line 1\nline 2', chanvariable: 'A=1\nB=2', message: 'first' });
  });
  it('encodes CRLF lines with a blank line after, and never lets a value inject a header', () => {
    expect(encodeAmiMessage([['Action', 'Ping'], ['ActionID', 'a\r\nAction: Logoff']])).toBe('Action: Ping\r\nActionID: a Action: Logoff\r\n\r\n');
  });
});
