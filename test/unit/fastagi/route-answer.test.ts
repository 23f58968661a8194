import { describe, expect, it } from 'vitest';
import { parseAgiEnvironment } from '../../../src/adapters/asterisk/fastagi/protocol.ts';
import { answerVariables, factsFromArgs, ROUTE_FIELDS, routeVariable, wantsSingleVariable, type AgiAnswer } from '../../../src/adapters/asterisk/fastagi/route-session.ts';

const DIAL: AgiAnswer = {
  action: 'dial', callId: 'desk-1700000000.1', attemptNo: 1, trunkId: 'gsm-mts', dial: 'PJSIP/89160000001@gw-mts', callerId: '74950000001', timeout: 45, record: true,
};

/** ROUTE split as the shipped dialplan does: `${CUT(ROUTE,|,n)}` for field n. */
function cut(route: string): Record<string, string> {
  const parts = route.split('|');
  return Object.fromEntries(ROUTE_FIELDS.map((name, i) => [name, parts[i] ?? '']));
}

function env(args: string[]) {
  const r = parseAgiEnvironment(['agi_network: yes', 'agi_network_script: route', 'agi_uniqueid: 1700000000.1', ...args.map((a, i) => `agi_arg_${i + 1}: ${a}`)]);
  if (!r.ok) throw new Error(r.problem);
  return r.env;
}

describe('the single ROUTE variable (shipped dialplan)', () => {
  it('a dial answer carries every field in the documented order, record and call id included at every attempt', () => {
    const route = routeVariable(DIAL);
    expect(route).toBe('dial|PJSIP/89160000001@gw-mts|74950000001|45|1|desk-1700000000.1|');
    expect(cut(route ?? '')).toEqual({
      ROUTE_ACTION: 'dial', ROUTE_DIAL: 'PJSIP/89160000001@gw-mts', ROUTE_CALLERID: '74950000001', ROUTE_TIMEOUT: '45', ROUTE_RECORD: '1', ROUTE_CALL_ID: 'desk-1700000000.1', ROUTE_REASON: '',
    });
    const later = cut(routeVariable({ ...DIAL, attemptNo: 3, record: false, callerId: '' }) ?? '');
    expect(later).toMatchObject({ ROUTE_CALLERID: '', ROUTE_RECORD: '0', ROUTE_CALL_ID: 'desk-1700000000.1' });
  });

  it('stop and failopen answers: the reason is the last field, the dial fields are empty', () => {
    expect(cut(routeVariable({ action: 'stop', reason: 'callee busy: no rotation' }) ?? '')).toEqual({
      ROUTE_ACTION: 'stop', ROUTE_DIAL: '', ROUTE_CALLERID: '', ROUTE_TIMEOUT: '', ROUTE_RECORD: '', ROUTE_CALL_ID: '', ROUTE_REASON: 'callee busy: no rotation',
    });
    expect(routeVariable({ action: 'failopen', reason: 'connector error' })).toBe('failopen||||||connector error');
  });

  it('"|" inside a free-text field cannot shift the fields: it becomes "/"', () => {
    const stop = cut(routeVariable({ action: 'stop', reason: 'unknown AGI script "a|b|c"' }) ?? '');
    expect(stop.ROUTE_REASON).toBe('unknown AGI script "a/b/c"');
    const dial = cut(routeVariable({ ...DIAL, callId: 'externalCall.a|b' }) ?? '');
    expect(dial).toMatchObject({ ROUTE_CALL_ID: 'externalCall.a/b', ROUTE_REASON: '' });
  });

  it('a dial string containing "|" is refused rather than rewritten (it would change where the call goes)', () => {
    expect(routeVariable({ ...DIAL, dial: 'PJSIP/1@gw|30' })).toBeNull();
  });

  it('is asked for by the 8th argument ROUTE only; the lab form, an older 7-argument dialplan or a shifted list get separate variables', () => {
    expect(wantsSingleVariable(env(['79160000001', '1', '', '0', 'L1', '100', '', 'ROUTE']))).toBe(true);
    expect(wantsSingleVariable(env(['79160000001', '1', '', '0']))).toBe(false);
    expect(wantsSingleVariable(env(['79160000001', '1', '', '0', 'L1', '100', '']))).toBe(false);
    expect(wantsSingleVariable(env(['79160000001', '1', '', '0', 'L1', '1', '00', 'x', 'ROUTE']))).toBe(false);
    expect(wantsSingleVariable(env(['79160000001', '1', '', '0', 'L1', '100', 'x', 'route']))).toBe(false);
  });

  it('the 8-argument form still passes linkedid, CONNECTOR_EXTEN and CONNECTOR_CALL_ID', () => {
    expect(factsFromArgs(env(['79160000001', '1', '', '0', 'L1', '100', 'externalCall.1', 'ROUTE']))).toEqual({ linkedid: 'L1', callerExtension: '100', callId: 'externalCall.1' });
    expect(factsFromArgs(env(['79160000001', '1', '', '0', 'L1', '100', 'externalCall.1', 'x']))).toEqual({});
  });
});

describe('separate variables (lab form, older dialplans)', () => {
  it('unchanged: ROUTE_RECORD and ROUTE_CALL_ID at attempt 1 only', () => {
    expect(answerVariables(DIAL).map(([n]) => n)).toEqual(['ROUTE_ACTION', 'ROUTE_DIAL', 'ROUTE_CALLERID', 'ROUTE_TIMEOUT', 'ROUTE_RECORD', 'ROUTE_CALL_ID']);
    expect(answerVariables({ ...DIAL, attemptNo: 2 }).map(([n]) => n)).toEqual(['ROUTE_ACTION', 'ROUTE_DIAL', 'ROUTE_CALLERID', 'ROUTE_TIMEOUT']);
    expect(answerVariables({ action: 'failopen', reason: 'connector error' })).toEqual([['ROUTE_ACTION', 'failopen'], ['ROUTE_REASON', 'connector error']]);
  });
});
