import { describe, expect, it } from 'vitest';
import { startPbxDouble } from '../../../src/doubles/asterisk/index.ts';
import { answerAgiCommand, splitAgiArgs } from '../../../src/doubles/asterisk/agi-commands.ts';
import { dialCommands, startFastAgiResponder } from './support/fastagi-responder.ts';
import { closedPort } from './support/run-scenario.ts';

const PROBE = [
  'GET VARIABLE CONNECTOR_CALL_ID',
  'GET VARIABLE NO_SUCH_VAR',
  'VERBOSE "probe: route request" 1',
  'FOOBAR',
  'GET VARIABLE',
  'GET FULL VARIABLE ${CALLERID(num)}',
  'GET FULL VARIABLE ${CHANNEL(linkedid)}',
  'GET VARIABLE CHANNEL(linkedid)',
  ...dialCommands('PJSIP/79160000001@gsm-mts', '74950000001'),
];

describe('PBX double: the FastAGI session it opens', () => {
  it('answers the probe commands exactly as Asterisk 22 did in fastagi-session-01', async () => {
    const agi = await startFastAgiResponder((_e, i) => (i === 0 ? PROBE : ['SET VARIABLE ROUTE_ACTION "stop"']));
    const pbx = await startPbxDouble({ users: [{ username: 'u', secret: 's' }], fastAgi: { host: '127.0.0.1', port: agi.port }, trunks: [{ match: '*@gsm-mts', outcome: { kind: 'busy' } }], timeScale: 0, dialplan: 'lab' });
    try {
      await pbx.placeDeskCall('100', '79160000001').finished;
      const s = agi.sessions[0]!;
      expect(s.env.agi_network_script).toBe('route');
      expect(s.env.agi_request).toBe(`agi://127.0.0.1:${agi.port}/route`);
      expect(s.env.agi_extension).toBe('79160000001');
      expect(s.env.agi_priority).toBe('4');
      const linkedid = s.env.agi_uniqueid;
      expect(s.exchanges.map((e) => e.reply)).toEqual([
        '200 result=0', // a desk call has no CONNECTOR_CALL_ID
        '200 result=0',
        '200 result=1',
        '510 Invalid or unknown command',
        '520-Invalid command syntax.  Proper usage follows:\nReturns <literal>0</literal> if <replaceable>variablename</replaceable> is not set. Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the variable in parentheses.\nExample return code: 200 result=1 (testvariable)\n520 End of proper usage.',
        '200 result=1 (100)',
        `200 result=1 (${linkedid})`,
        `200 result=1 (${linkedid})`,
        '200 result=1',
        '200 result=1',
        '200 result=1',
        '200 result=1',
      ]);
      // A SIP trunk's busy carries cause 17 (a Local channel's busy shows 0, as in the lab).
      expect(agi.sessions[1]?.env.agi_arg_3).toBe('BUSY');
      expect(agi.sessions[1]?.env.agi_arg_4).toBe('17');
      const dialEnd = pbx.events.find((e) => e.fields.some(([k, v]) => k === 'Event' && v === 'DialEnd'));
      expect(dialEnd?.fields.find(([k]) => k === 'DestChannel')?.[1]).toMatch(/^PJSIP\/gsm-mts-[0-9a-f]{8}$/);
    } finally {
      await pbx.close();
      await agi.close();
    }
  });

  it('fails open when the FastAGI server is down: AGISTATUS FAILURE and the fail-open trunk is dialled', async () => {
    const pbx = await startPbxDouble({
      users: [],
      fastAgi: { host: '127.0.0.1', port: await closedPort() },
      trunks: [{ match: 'PJSIP/*@failopen-gw', outcome: { kind: 'answer', talkMs: 1000 } }],
      failOpen: { dial: 'PJSIP/{exten}@failopen-gw', timeoutS: 30 },
      timeScale: 0,
    });
    try {
      await pbx.placeDeskCall('100', '79160000001').finished;
      const names = pbx.events.map((e) => e.fields.find(([k]) => k === 'Event')?.[1]);
      expect(names).toContain('BridgeEnter');
      const dialEnd = pbx.events.find((e) => e.fields.some(([k, v]) => k === 'Event' && v === 'DialEnd'));
      expect(dialEnd?.fields.find(([k]) => k === 'DestChannel')?.[1]).toMatch(/^PJSIP\/failopen-gw-[0-9a-f]{8}$/);
      const user = pbx.events.find((e) => e.fields.some(([k, v]) => k === 'UserEvent' && v === 'ConnectorFailOpen'));
      expect(user?.fields.find(([k]) => k === 'AgiStatus')?.[1]).toBe('FAILURE');
    } finally {
      await pbx.close();
    }
  });
});

describe('AGI command parsing', () => {
  it('splits arguments like res_agi: quotes group, backslash escapes', () => {
    expect(splitAgiArgs('SET VARIABLE ROUTE_DIAL "PJSIP/79\\"1@gw x"')).toEqual(['SET', 'VARIABLE', 'ROUTE_DIAL', 'PJSIP/79"1@gw x']);
    expect(splitAgiArgs('SET VARIABLE X ""')).toEqual(['SET', 'VARIABLE', 'X', '']);
  });
  it('SET VARIABLE with a missing value is a 520, not a silent set', () => {
    const set: string[] = [];
    const reply = answerAgiCommand('SET VARIABLE ROUTE_ACTION', { get: () => undefined, set: (n) => void set.push(n), substitute: (e) => e });
    expect(reply.split('\n')[0]).toBe('520-Invalid command syntax.  Proper usage follows:');
    expect(set).toEqual([]);
  });
});
