import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agiSession } from '../../contracts/calls-captures.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { labRules } from '../../contracts/calls-lab-rules.ts';
import { ROUTE_FIELDS } from '../../../src/adapters/asterisk/fastagi/route-session.ts';
import { hasSharedData, SKIP_REASON } from '../../support/shared-data.ts';
import { startFastAgiServer } from '../../../src/adapters/asterisk/fastagi/server.ts';
import { RouteService } from '../../../src/app/calls/route-service.ts';
import { runAgi } from './agi-client.ts';
import { agiEnvironment, WELL_FORMED_COMMAND } from './env-fixture.ts';

let h: CallsHarness;
beforeEach(async () => {
  h = await callsHarness();
  await h.startAgi();
});
afterEach(async () => h.close());

function port(): number {
  if (!h.server) throw new Error('no server');
  return h.server.port;
}

/** The lab's calls: which click-to-call each session belongs to (desk = sessions 13–14). */
const CALLS = [
  { id: 'o1', number: '+79160000001', sessions: [1, 2] },
  { id: 'o2', number: '+79160000002', sessions: [3, 4] },
  { id: 'o3', number: '+79160000003', sessions: [5, 6] },
  { id: 'o4', number: '+79160000004', sessions: [7, 8, 9] },
  { id: 'o5', number: '+79160000005', sessions: [10, 11, 12] },
];

// The lab transcripts are real Asterisk bytes; they live outside the repository.
describe.skipIf(!hasSharedData)(`FastAGI replay of the lab sessions (real Asterisk 22.10.1 bytes)${hasSharedData ? '' : ` (${SKIP_REASON})`}`, () => {
  it.each(CALLS)('click-to-call $id: answers what the lab answered, well-formed', async (call) => {
    const started = await h.clickToCall({ crmCallId: `externalCall.lab.${call.id}`, number: call.number }, call.id);
    expect(started).toMatchObject({ ok: true, channelId: `c2c-${call.id}-a` });
    for (const n of call.sessions) {
      const t = agiSession(n);
      const run = await runAgi(port(), t.environment, { vars: { CONNECTOR_EXTEN: '100', CONNECTOR_CALL_ID: `externalCall.lab.${call.id}` }, linkedid: `c2c-${call.id}-a` });
      expect(run.closedByServer).toBe(true);
      for (const c of run.commands) expect(c).toMatch(WELL_FORMED_COMMAND);
      expect(run.set.ROUTE_ACTION).toBe(t.answered.ROUTE_ACTION);
      if (t.answered.ROUTE_ACTION === 'dial') {
        expect(run.set.ROUTE_DIAL).toBe(t.answered.ROUTE_DIAL);
        expect(run.set.ROUTE_CALLERID).toMatch(/^7495\d{7}$/);
        expect(run.set.ROUTE_TIMEOUT).toBe(t.answered.ROUTE_TIMEOUT);
        // Set once, at attempt 1: the channel keeps it for the later attempts.
        expect(run.set.ROUTE_RECORD).toBe(n === call.sessions[0] ? '1' : undefined);
      } else {
        expect(run.set.ROUTE_REASON).toMatch(/no rotation/);
      }
      // Identified by agi_uniqueid = the Originate's ChannelId: no need to ask for the call id variable.
      expect(run.commands).not.toContain('GET VARIABLE CONNECTOR_CALL_ID');
    }
    await h.service.drain();
    const attempts = await h.store.listAttempts(`c2c-${call.id}`);
    expect(attempts.map((a) => a.dial)).toEqual(call.sessions.map((n) => agiSession(n).answered.ROUTE_DIAL).filter(Boolean));
    expect(attempts.every((a) => a.linkedid === `c2c-${call.id}-a`)).toBe(true);
  });

  it('desk-phone call (sessions 13–14): identified by the caller number, busy stops', async () => {
    for (const n of [13, 14]) {
      const t = agiSession(n);
      const run = await runAgi(port(), t.environment, { vars: { CONNECTOR_EXTEN: '100' }, linkedid: '1795439694.30' });
      expect(run.set.ROUTE_ACTION).toBe(t.answered.ROUTE_ACTION);
      if (n === 13) expect(run.set.ROUTE_DIAL).toBe(t.answered.ROUTE_DIAL);
    }
    await h.service.drain();
    const call = await h.store.findByChannelId('1795439694.31');
    expect(call).toMatchObject({ origin: 'phone', extension: '100', userId: '12', linkedid: '1795439694.30', state: 'stopped' });
    const attempts = await h.store.listAttempts(call?.id ?? '');
    expect(attempts).toMatchObject([{ attemptNo: 1, trunkId: 'trunk-busy', dialStatus: 'BUSY', hangupCause: 0, decision: 'stop', outcomeSource: 'agi' }]);
  });

  it('the CRLF form of the same bytes is read the same way', async () => {
    const t = agiSession(13);
    const run = await runAgi(port(), t.environment.replace(/\n/g, '\r\n'), { vars: { CONNECTOR_EXTEN: '100' }, eol: '\r\n' });
    expect(run.set.ROUTE_DIAL).toBe(t.answered.ROUTE_DIAL);
  });
});

describe('FastAGI route server (built-in fixtures)', () => {
  it('a desk phone: rotation after CONGESTION 34, then stop after BUSY', async () => {
    const base = { uniqueid: '1700000000.1', exten: '79160000001' };
    const linkedid = '1700000000.0';
    const first = await runAgi(port(), agiEnvironment({ ...base, attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' }, linkedid });
    expect(first.set).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000001@trunk-congestion', ROUTE_CALLERID: '74950000001', ROUTE_TIMEOUT: '4' });
    for (const c of first.commands) expect(c).toMatch(WELL_FORMED_COMMAND);
    const second = await runAgi(port(), agiEnvironment({ ...base, attempt: 2, dialStatus: 'CONGESTION', cause: 34 }), { vars: { CONNECTOR_EXTEN: '100' }, linkedid });
    expect(second.set).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000001@trunk-answer' });
    const third = await runAgi(port(), agiEnvironment({ ...base, attempt: 3, dialStatus: 'BUSY', cause: 0 }), { vars: { CONNECTOR_EXTEN: '100' }, linkedid });
    expect(third.set.ROUTE_ACTION).toBe('stop');
    await h.service.drain();
    const attempts = await h.store.listAttempts('desk-1700000000.1');
    expect(attempts.map((a) => [a.trunkId, a.dialStatus, a.decision])).toEqual([['trunk-congestion', 'CONGESTION', 'rotate'], ['trunk-answer', 'BUSY', 'stop']]);
  });

  it('a click-to-call found through CONNECTOR_CALL_ID when the uniqueid is not the ChannelId', async () => {
    await h.clickToCall({ crmCallId: 'externalCall.x1', number: '+79160000002' }, 'x1');
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000001.7', exten: '79160000002', attempt: 1 }), { vars: { CONNECTOR_CALL_ID: 'externalCall.x1' }, linkedid: 'c2c-x1-a' });
    expect(run.commands).toContain('GET VARIABLE CONNECTOR_CALL_ID');
    expect(run.set).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000002@trunk-busy', ROUTE_CALL_ID: 'c2c-x1' });
    await h.service.drain();
    expect(await h.store.listAttempts('c2c-x1')).toHaveLength(1);
  });

  it('a click-to-call planned by another instance is found in the database by its ChannelId', async () => {
    const other = new RouteService({ store: h.store, routing: h.routing, clock: h.clock, logger: h.log.logger });
    await h.clickToCall({ crmCallId: 'externalCall.x2', number: '+79160000002' }, 'x2');
    const answer = await other.route(
      { exten: '79160000002', attemptNo: 1, dialStatus: '', hangupCause: 0, uniqueid: 'c2c-x2-a', callerIdNum: '100' },
      { read: async (want) => (want.callId ? { callId: null, callerExtension: null, linkedid: 'c2c-x2-a' } : { linkedid: 'c2c-x2-a' }) },
    );
    expect(answer).toMatchObject({ action: 'dial', callId: 'c2c-x2', dial: 'Local/79160000002@trunk-busy' });
  });

  it('an unknown extension: stop, with the reason logged and stored', async () => {
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000002.1', exten: '79160000001', attempt: 1, callerId: '999' }), { vars: { CONNECTOR_EXTEN: '999' } });
    expect(run.set.ROUTE_ACTION).toBe('stop');
    expect(run.set.ROUTE_REASON).toContain('extension 999');
    await h.service.drain();
    const call = await h.store.findByChannelId('1700000002.1');
    expect(call).toMatchObject({ state: 'stopped', refusalCode: 'UNKNOWN_USER' });
    expect(h.log.lines().some((l) => l.msg === 'route: stop' && String(l.reason).includes('extension 999'))).toBe(true);
  });

  it('an invalid number: stop with the reason', async () => {
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000003.1', exten: '123', attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(run.set.ROUTE_ACTION).toBe('stop');
    await h.service.drain();
    expect(await h.store.findByChannelId('1700000003.1')).toMatchObject({ refusalCode: 'INVALID_NUMBER' });
  });

  it('a desk-phone number longer than E.164 allows: stop saying so, nothing dialled', async () => {
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000013.1', exten: '7'.repeat(20), attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(run.set).toMatchObject({ ROUTE_ACTION: 'stop', ROUTE_REASON: expect.stringContaining('20 digits: longer than E.164 allows (15)') });
    await h.service.drain();
    expect(await h.store.findByChannelId('1700000013.1')).toMatchObject({ refusalCode: 'INVALID_NUMBER', number: '7'.repeat(20), numberE164: null });
  });

  it('a malformed request (attempt not a number) is answered stop and changes nothing', async () => {
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000004.1', exten: '79160000001', attempt: 'x' as unknown as number }));
    expect(run.set).toMatchObject({ ROUTE_ACTION: 'stop', ROUTE_REASON: expect.stringContaining('agi_arg_2') });
    expect(await h.store.findByChannelId('1700000004.1')).toBeNull();
  });

  it('an unknown AGI script (a mistyped AGI URL) is answered fail-open, so calls still go out', async () => {
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000005.1', exten: '79160000001', attempt: 1, script: 'hack' }));
    expect(run.set).toMatchObject({ ROUTE_ACTION: 'failopen', ROUTE_REASON: expect.stringContaining('hack') });
    expect(await h.store.findByChannelId('1700000005.1')).toBeNull();
  });

  it('a later attempt of a channel nothing is stored for: fail-open after a technical failure, stop after the callee answered', async () => {
    const congestion = await runAgi(port(), agiEnvironment({ uniqueid: '1700000012.1', exten: '79160000001', attempt: 2, dialStatus: 'CONGESTION', cause: 34 }));
    expect(congestion.set).toMatchObject({ ROUTE_ACTION: 'failopen', ROUTE_REASON: expect.stringContaining('no stored route') });
    const busy = await runAgi(port(), agiEnvironment({ uniqueid: '1700000013.2', exten: '79160000001', attempt: 2, dialStatus: 'BUSY', cause: 0 }));
    expect(busy.set).toMatchObject({ ROUTE_ACTION: 'stop' });
    await h.service.drain();
    expect([await h.store.findByChannelId('1700000012.1'), await h.store.findByChannelId('1700000013.2')]).toEqual([null, null]);
  });

  it('garbage on the socket: closed with a clear log line, the server keeps serving', async () => {
    const garbage = await runAgi(port(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(garbage.commands).toEqual([]);
    const binary = await runAgi(port(), Buffer.from([0, 1, 2, 255, 10, 10]).toString('latin1'));
    expect(binary.commands).toEqual([]);
    expect(h.log.lines().filter((l) => l.msg === 'fastagi: closing a connection that does not speak AGI')).toHaveLength(2);
    const ok = await runAgi(port(), agiEnvironment({ uniqueid: '1700000006.1', exten: '79160000001', attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(ok.set.ROUTE_ACTION).toBe('dial');
  });

  it('HANGUP in the middle of the session: no hang, no crash, the attempt is marked cancelled', async () => {
    // HANGUP right after the linkedid is read: the answer is never sent.
    const run = await runAgi(port(), agiEnvironment({ uniqueid: '1700000007.1', exten: '79160000001', attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' }, linkedid: 'L7', hangupAfter: 2 });
    expect(run.closedByServer).toBe(true);
    expect(run.commands.some((c) => c.startsWith('SET VARIABLE'))).toBe(false);
    await h.service.drain();
    const attempts = await h.store.listAttempts('desk-1700000007.1');
    expect(attempts).toMatchObject([{ attemptNo: 1, dialStatus: 'CANCEL', decision: 'stop' }]);
    expect(h.service.channels.inUse('trunk-congestion')).toBe(0);
  });

  it('a rules reload in the middle of a call does not reshuffle its stored plan (DECISIONS §6)', async () => {
    const base = { uniqueid: '1700000009.1', exten: '79160000005' };
    const first = await runAgi(port(), agiEnvironment({ ...base, attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(first.set.ROUTE_DIAL).toBe('Local/79160000005@no-such-context');
    // The reload makes trunk-answer far cheaper and the others dearer: a fresh plan would start there.
    h.routing.rules.set(labRules({ trunks: { 'trunk-answer': { tariffs: { byCarrier: {}, byPrefix: [], default: 0.01 } } } }));
    const second = await runAgi(port(), agiEnvironment({ ...base, attempt: 2, dialStatus: 'CHANUNAVAIL', cause: 0 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(second.set.ROUTE_DIAL).toBe('Local/79160000005@trunk-temporary-failure');
    // …but a trunk the reload disables is skipped.
    h.routing.rules.set(labRules({ trunks: { 'trunk-answer': { enabled: false } } }));
    const third = await runAgi(port(), agiEnvironment({ ...base, attempt: 3, dialStatus: 'CHANUNAVAIL', cause: 41 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(third.set).toMatchObject({ ROUTE_ACTION: 'stop', ROUTE_REASON: expect.stringContaining('no further trunk') });
  });

  it('Asterisk not answering a command: the session times out and closes, the server keeps serving', async () => {
    const socket = net.connect(port(), '127.0.0.1');
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      socket.on('close', () => resolve(Date.now() - t0));
    });
    socket.on('error', () => undefined);
    socket.resume(); // read (and ignore) the commands
    socket.write(agiEnvironment({ uniqueid: '1700000010.1', exten: '79160000001', attempt: 1 }));
    // Never answer the GET VARIABLE commands.
    expect(await closed).toBeLessThan(3000);
    const ok = await runAgi(port(), agiEnvironment({ uniqueid: '1700000010.2', exten: '79160000001', attempt: 1 }), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(ok.set.ROUTE_ACTION).toBe('dial');
  });

  it('the shipped dialplan passes linkedid, CONNECTOR_EXTEN and CONNECTOR_CALL_ID as arguments: no GET round trip', async () => {
    const base = agiEnvironment({ uniqueid: '1700000013.1', exten: '79160000001', attempt: 1 }).replace(/\n\n$/, '\n');
    const run = await runAgi(port(), `${base}agi_arg_5: L13\nagi_arg_6: 100\nagi_arg_7: \n\n`);
    expect(run.commands.filter((c) => c.startsWith('GET'))).toEqual([]);
    expect(run.set).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000001@trunk-congestion' });
    await h.service.drain();
    expect(await h.store.listAttempts('desk-1700000013.1')).toMatchObject([{ attemptNo: 1, linkedid: 'L13' }]);
  });

  describe('the shipped dialplan (agi_arg_8 ROUTE): the whole answer in one SET VARIABLE ROUTE', () => {
    const shipped = (o: Parameters<typeof agiEnvironment>[0], linkedid: string, callId = ''): string =>
      `${agiEnvironment(o).replace(/\n\n$/, '\n')}agi_arg_5: ${linkedid}\nagi_arg_6: 100\nagi_arg_7: ${callId}\nagi_arg_8: ROUTE\n\n`;
    /** The variables the shipped dialplan sets with `${CUT(ROUTE,|,n)}`. */
    const cut = (route: string | undefined): Record<string, string> => {
      const parts = (route ?? '').split('|');
      return Object.fromEntries(ROUTE_FIELDS.map((name, i) => [name, parts[i] ?? '']));
    };

    it('dial at attempt 1 (record, call id), rotation at attempt 2, stop after BUSY: one command each, nothing else asked', async () => {
      const base = { uniqueid: '1700000020.1', exten: '79160000001' };
      const first = await runAgi(port(), shipped({ ...base, attempt: 1 }, 'L20'));
      expect(first.commands).toEqual([expect.stringMatching(/^SET VARIABLE ROUTE "/)]);
      expect(first.commands[0]).toMatch(WELL_FORMED_COMMAND);
      expect(Object.keys(first.set)).toEqual(['ROUTE']);
      expect(cut(first.set.ROUTE)).toEqual({
        ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000001@trunk-congestion', ROUTE_CALLERID: '74950000001', ROUTE_TIMEOUT: '4', ROUTE_RECORD: '1', ROUTE_CALL_ID: 'desk-1700000020.1', ROUTE_REASON: '',
      });
      const second = await runAgi(port(), shipped({ ...base, attempt: 2, dialStatus: 'CONGESTION', cause: 34 }, 'L20'));
      expect(second.commands).toHaveLength(1);
      expect(cut(second.set.ROUTE)).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000001@trunk-answer', ROUTE_CALL_ID: 'desk-1700000020.1' });
      const third = await runAgi(port(), shipped({ ...base, attempt: 3, dialStatus: 'BUSY', cause: 0 }, 'L20'));
      expect(third.commands).toHaveLength(1);
      expect(cut(third.set.ROUTE)).toMatchObject({ ROUTE_ACTION: 'stop', ROUTE_DIAL: '', ROUTE_REASON: expect.stringMatching(/no rotation/) });
      await h.service.drain();
      expect((await h.store.listAttempts('desk-1700000020.1')).map((a) => a.trunkId)).toEqual(['trunk-congestion', 'trunk-answer']);
    });

    it('an excluded number is answered ROUTE_RECORD 0', async () => {
      const rules = labRules();
      h.routing.rules.set({ ...rules, rules: { ...rules.rules, crm: { ...rules.rules.crm, excluded: { ...rules.rules.crm.excluded, numbers: ['+79160000001'] } } } });
      const run = await runAgi(port(), shipped({ uniqueid: '1700000021.1', exten: '79160000001', attempt: 1 }, 'L21'));
      expect(cut(run.set.ROUTE)).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_RECORD: '0' });
    });

    it('a reason containing "|" cannot shift the fields; a malformed request is answered stop', async () => {
      const run = await runAgi(port(), shipped({ uniqueid: '1700000022.1', exten: '79160000001', attempt: 1, script: 'route|x|y' }, 'L22'));
      expect(run.commands).toHaveLength(1);
      expect(cut(run.set.ROUTE)).toEqual({
        ROUTE_ACTION: 'failopen', ROUTE_DIAL: '', ROUTE_CALLERID: '', ROUTE_TIMEOUT: '', ROUTE_RECORD: '', ROUTE_CALL_ID: '', ROUTE_REASON: 'unknown AGI script "route/x/y"',
      });
      const bad = await runAgi(port(), shipped({ uniqueid: '1700000022.2', exten: '79160000001', attempt: 0 }, 'L22'));
      expect(cut(bad.set.ROUTE)).toMatchObject({ ROUTE_ACTION: 'stop', ROUTE_REASON: expect.stringContaining('agi_arg_2') });
    });

    it('a click-to-call: the CRM call id passed as agi_arg_7 comes back as ROUTE_CALL_ID', async () => {
      await h.clickToCall({ crmCallId: 'externalCall.s1', number: '+79160000002' }, 's1');
      const run = await runAgi(port(), shipped({ uniqueid: 'c2c-s1-a', exten: '79160000002', attempt: 1 }, 'c2c-s1-a', 'externalCall.s1'));
      expect(run.commands).toHaveLength(1);
      expect(cut(run.set.ROUTE)).toMatchObject({ ROUTE_ACTION: 'dial', ROUTE_DIAL: 'Local/79160000002@trunk-busy' });
    });

    it('a dial string containing "|" is never sent: fail-open, and the attempt is not left holding its trunk', async () => {
      h.routing.rules.set(labRules({ trunks: { 'trunk-congestion': { dial: 'Local/{digits}@trunk-congestion|30' } } }));
      const run = await runAgi(port(), shipped({ uniqueid: '1700000023.1', exten: '79160000001', attempt: 1 }, 'L23'));
      expect(run.commands).toHaveLength(1);
      expect(cut(run.set.ROUTE)).toMatchObject({ ROUTE_ACTION: 'failopen', ROUTE_DIAL: '', ROUTE_REASON: 'connector error' });
      expect(h.log.lines().some((l) => String(l.msg).includes('separates the fields of ROUTE'))).toBe(true);
      await h.service.drain();
      expect(await h.store.listAttempts('desk-1700000023.1')).toMatchObject([{ dialStatus: 'CANCEL' }]);
    });
  });

  it('never pipelines: each command is written only after the previous reply (res_agi would stall otherwise)', async () => {
    const socket = net.connect(port(), '127.0.0.1');
    const received: { line: string; outstanding: number }[] = [];
    let outstanding = 0;
    let buffer = '';
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        received.push({ line, outstanding });
        outstanding += 1;
        // Answer late, so a pipelining server would have sent its next command meanwhile.
        const reply = line === 'GET VARIABLE CONNECTOR_EXTEN' ? '200 result=1 (100)' : line.startsWith('GET') ? '200 result=0' : '200 result=1';
        setTimeout(() => {
          outstanding -= 1;
          socket.write(`${reply}\n`);
        }, 5);
      }
    });
    socket.write(agiEnvironment({ uniqueid: '1700000012.1', exten: '79160000001', attempt: 1 }));
    await closed;
    expect(received.filter((r) => r.line.startsWith('SET VARIABLE ROUTE_ACTION "dial"'))).toHaveLength(1);
    expect(received.length).toBeGreaterThan(3);
    expect(received.filter((r) => r.outstanding > 0)).toEqual([]);
  });

  it('a failure inside the connector answers failopen, so the dialplan still places the call', async () => {
    const broken = Object.assign(Object.create(h.store) as typeof h.store, {
      findByChannelId: async () => {
        throw new Error('database is locked');
      },
    });
    const service = new RouteService({ store: broken, routing: h.routing, clock: h.clock, logger: h.log.logger });
    const server = await startFastAgiServer({ host: '127.0.0.1', port: 0, service, logger: h.log.logger, commandTimeoutMs: 500 });
    try {
      const run = await runAgi(server.port, agiEnvironment({ uniqueid: '1700000011.1', exten: '79160000001', attempt: 2, dialStatus: 'CONGESTION', cause: 34 }));
      expect(run.set).toEqual({ ROUTE_ACTION: 'failopen', ROUTE_REASON: 'connector error' });
      expect(h.log.lines().some((l) => String(l.msg).includes('answering fail-open'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a retried request for the same attempt gets the same answer and stores it once', async () => {
    const env = agiEnvironment({ uniqueid: '1700000008.1', exten: '79160000004', attempt: 1 });
    const a = await runAgi(port(), env, { vars: { CONNECTOR_EXTEN: '100' } });
    const b = await runAgi(port(), env, { vars: { CONNECTOR_EXTEN: '100' } });
    expect(b.set.ROUTE_DIAL).toBe(a.set.ROUTE_DIAL);
    await h.service.drain();
    expect(await h.store.listAttempts('desk-1700000008.1')).toHaveLength(1);
  });
});
