import { describe, expect, it } from 'vitest';
import { AmiRequestError } from '../../../../src/adapters/asterisk/ami/errors.ts';
import { normalizeAmiMessage, field } from '../../../../src/adapters/asterisk/ami/normalize.ts';
import { escapeVariableValue, originateFields } from '../../../../src/adapters/asterisk/ami/originate-request.ts';
import { splitVariableHeader } from '../../../../src/doubles/asterisk/ami-actions.ts';

const base = { channel: 'PJSIP/100', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000 };

describe('Originate request', () => {
  it('is always Async, with the dialplan target, ids and variables', () => {
    expect(originateFields({ ...base, callerId: '"Click-to-call" <100>', channelId: 'c2c-1-a', otherChannelId: 'c2c-1-b', variables: { CONNECTOR_CALL_ID: 'externalCall.1' } })).toEqual({
      Action: 'Originate', Channel: 'PJSIP/100', Timeout: '30000', Async: 'true', Context: 'connector-outbound', Exten: '79160000001', Priority: '1',
      CallerID: '"Click-to-call" <100>', ChannelId: 'c2c-1-a', OtherChannelId: 'c2c-1-b', Variable: { CONNECTOR_CALL_ID: 'externalCall.1' },
    });
  });

  it('escapes commas, quotes and backslashes so Asterisk splits them back to the same value', () => {
    for (const v of ['a,b', 'say "hi", then \\ go', ',,', 'plain']) expect(splitVariableHeader(`X=${escapeVariableValue(v)}`)).toEqual([`X=${v}`]);
  });

  it.each([
    [{ ...base, channel: 'nochannel' }, /Tech\/resource/],
    [{ ...base, channelId: 'x'.repeat(150) }, /1\.\.149/],
    [{ ...base, channelId: 'has space' }, /printable ASCII/],
    [{ ...base, timeoutMs: 0 }, /timeout/],
    [{ ...base, application: 'Wait' }, /either/],
    [{ ...base, callerId: 'x\r\nAction: Logoff' }, /line break/],
    [{ ...base, variables: { 'BAD NAME': '1' } }, /variable name/],
  ])('refuses an invalid request before sending: %#', (req, msg) => {
    expect(() => originateFields(req)).toThrow(AmiRequestError);
    expect(() => originateFields(req)).toThrow(msg);
  });
});

describe('normalizeAmiMessage', () => {
  it('repairs what asterisk-manager does to VarSet and repeated keys', () => {
    const ev = normalizeAmiMessage({ event: 'VarSet', variable: { DIALSTATUS: '' }, value: 'BUSY', output: ['a', 'b'], chanvariable: { A: '1', B: '2' }, message: ['first', 'second'] });
    expect(ev).toEqual({ event: 'VarSet', variable: 'DIALSTATUS', value: 'BUSY', output: 'a\nb', chanvariable: 'A=1\nB=2', message: 'first' });
    expect(field(ev, 'Variable')).toBe('DIALSTATUS');
  });
});
