import { describe, expect, it } from 'vitest';
import { parseAgiEnvironment, quoteArg, ReplyReader, variableValue } from '../../../src/adapters/asterisk/fastagi/protocol.ts';
import { factsFromArgs } from '../../../src/adapters/asterisk/fastagi/route-session.ts';
import { routeQueryOf } from '../../../src/core/calls/route-query.ts';

const ENV = [
  'agi_network: yes',
  'agi_network_script: route',
  'agi_request: agi://127.0.0.1:4573/route',
  'agi_channel: Local/100@phones-00000000;1',
  'agi_uniqueid: c2c-o1-a',
  'agi_callerid: 100',
  'agi_accountcode: ',
  'agi_arg_1: 79160000001',
  'agi_arg_2: 2',
  'agi_arg_3: CONGESTION',
  'agi_arg_4: 34',
];

describe('AGI environment', () => {
  it('splits on the first ": " only, so values keep their colons', () => {
    const r = parseAgiEnvironment(ENV);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.env.vars.request).toBe('agi://127.0.0.1:4573/route');
    expect(r.env.vars.channel).toBe('Local/100@phones-00000000;1');
    expect(r.env.vars.accountcode).toBe('');
    expect(r.env.args).toEqual(['79160000001', '2', 'CONGESTION', '34']);
  });

  it('accepts an empty value written without the trailing space', () => {
    const r = parseAgiEnvironment(['agi_network: yes', 'agi_accountcode:', 'agi_arg_1: 1']);
    expect(r.ok && r.env.vars.accountcode).toBe('');
  });

  it('fills missing arguments with empty strings and turns them into a route query', () => {
    const r = parseAgiEnvironment(['agi_uniqueid: 1.2', 'agi_callerid: unknown', 'agi_arg_1: 79160000002', 'agi_arg_2: 1', 'agi_arg_4: 0']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.env.args).toEqual(['79160000002', '1', '', '0']);
    const q = routeQueryOf(r.env);
    expect(q).toEqual({ ok: true, query: { exten: '79160000002', attemptNo: 1, dialStatus: '', hangupCause: 0, uniqueid: '1.2', callerIdNum: null } });
  });

  it('refuses lines that are not agi_* variables, naming the line', () => {
    const r = parseAgiEnvironment(['agi_network: yes', 'GET / HTTP/1.1']);
    expect(r).toEqual({ ok: false, problem: expect.stringContaining('line 2') });
  });

  it('refuses a route query whose number or attempt is malformed', () => {
    const bad = parseAgiEnvironment(['agi_arg_1: 7916;rm', 'agi_arg_2: 1']);
    expect(bad.ok && routeQueryOf(bad.env)).toEqual({ ok: false, problem: expect.stringContaining('agi_arg_1') });
    const noAttempt = parseAgiEnvironment(['agi_arg_1: 79160000001', 'agi_arg_2: x']);
    expect(noAttempt.ok && routeQueryOf(noAttempt.env)).toEqual({ ok: false, problem: expect.stringContaining('agi_arg_2') });
  });
});

describe('AGI replies', () => {
  it('reads result=1 with a value (parentheses inside the value kept)', () => {
    const e = new ReplyReader().line('200 result=1 (externalCall.0123.1795440000 (x))');
    expect(e?.kind === 'reply' && variableValue(e.reply)).toBe('externalCall.0123.1795440000 (x)');
  });

  it('reads result=0 as an unset variable', () => {
    const e = new ReplyReader().line('200 result=0');
    expect(e).toMatchObject({ kind: 'reply', reply: { code: 200, result: '0', value: null } });
    expect(e?.kind === 'reply' && variableValue(e.reply)).toBeNull();
  });

  it('reads 510 and 511 as error replies', () => {
    expect(new ReplyReader().line('510 Invalid or unknown command')).toMatchObject({ kind: 'reply', reply: { code: 510 } });
    expect(new ReplyReader().line('511 Command Not Permitted on a dead channel or intercept routine')).toMatchObject({ kind: 'reply', reply: { code: 511 } });
  });

  it('collects a multi-line 520 usage block into one reply', () => {
    const r = new ReplyReader();
    expect(r.line('520-Invalid command syntax.  Proper usage follows:')).toBeNull();
    expect(r.line('Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set.')).toBeNull();
    expect(r.line('Example return code: 200 result=1 (testvariable)')).toBeNull();
    const end = r.line('520 End of proper usage.');
    expect(end).toMatchObject({ kind: 'reply', reply: { code: 520 } });
    expect(end?.kind === 'reply' && end.reply.line).toContain('Example return code');
    // The reader is ready for the next reply.
    expect(r.line('200 result=1')).toMatchObject({ kind: 'reply', reply: { code: 200 } });
  });

  it('reports an inline HANGUP separately from replies, and garbage as garbage', () => {
    const r = new ReplyReader();
    expect(r.line('HANGUP')).toEqual({ kind: 'hangup' });
    expect(r.line('\u0000\u0001binary')).toEqual({ kind: 'garbage', line: '\u0000\u0001binary' });
  });

  it('quotes SET VARIABLE values so quotes and line breaks cannot break the command', () => {
    expect(quoteArg('a "b" c\\d\r\nSET VARIABLE X 1')).toBe('"a \\"b\\" c\\\\d SET VARIABLE X 1"');
  });
});

describe('facts passed as agi_arg_5..7 by the shipped dialplan', () => {
  const env = (...extra: string[]) => {
    const r = parseAgiEnvironment([...ENV, ...extra.map((v, i) => `agi_arg_${i + 5}: ${v}`)]);
    if (!r.ok) throw new Error(r.problem);
    return r.env;
  };

  it('linkedid, CONNECTOR_EXTEN and CONNECTOR_CALL_ID; an empty value means unset', () => {
    expect(factsFromArgs(env('c2c-o1-a', '100', 'externalCall.abc.1'))).toEqual({ linkedid: 'c2c-o1-a', callerExtension: '100', callId: 'externalCall.abc.1' });
    expect(factsFromArgs(env('1795440000.7', '100', ''))).toEqual({ linkedid: '1795440000.7', callerExtension: '100', callId: null });
  });

  it('the lab form (four arguments), a shifted list or a malformed Linkedid: nothing is trusted, GET VARIABLE asks', () => {
    expect(factsFromArgs(env())).toEqual({});
    expect(factsFromArgs(env('L1', '100', 'a', 'b'))).toEqual({});
    expect(factsFromArgs(env('', '100', 'x'))).toEqual({});
    expect(factsFromArgs(env('bad id', '100', 'x'))).toEqual({});
  });
});
