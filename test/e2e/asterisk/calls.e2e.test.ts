import { afterEach, describe, expect, it } from 'vitest';
import { amiGet } from '../../../src/adapters/asterisk/ami/codec.ts';
import { originateClickToCall } from '../../../src/app/calls/click-to-call.ts';
import { reconcileWithPbx } from '../../../src/app/calls/reconcile.ts';
import { labRules } from '../../contracts/calls-lab-rules.ts';
import { pbxHarness, type PbxHarness } from './pbx-harness.ts';

let p: PbxHarness | null = null;
afterEach(async () => {
  await p?.close();
  p = null;
});

/** Click-to-call through the real AMI client into the PBX double. */
async function call(harness: PbxHarness, crmCallId: string, number: string, extension = '100') {
  const h = harness.h;
  return originateClickToCall({
    store: h.store, routing: h.routing, originator: harness.ami, clock: h.clock, logger: h.log.logger, newId: () => crmCallId,
    channelTemplate: 'Local/{extension}@phones', context: 'connector-outbound', timeoutMs: 3000, channels: h.service.channels,
    onPlanned: (c) => h.service.remember(c),
  }, { crmCallId, userId: '12', extension, number, numberIsInternational: true, origin: 'crm', line: null });
}

describe('end to end through the PBX double (AMI + FastAGI over sockets)', () => {
  it('rotation after a technical failure: congestion, then answered → 200 on the second trunk', async () => {
    p = await pbxHarness();
    expect(await call(p, 'e1', '+79160000001')).toMatchObject({ ok: true });
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ callId: 'c2c-e1', crmCallId: 'e1', statusCode: '200', trunkId: 'trunk-answer', linkedid: 'c2c-e1-a' });
    expect(r?.attempts.map((a) => [a.trunkId, a.dialStatus])).toEqual([['trunk-congestion', 'CONGESTION'], ['trunk-answer', 'ANSWER']]);
    expect(r?.recording).toMatch(/c2c-e1-a\.wav$/);
  });

  it('the recording is reported by UserEvent(ConnectorRecording): no VarSet reaches a call,user AMI user', async () => {
    p = await pbxHarness();
    const seen: string[] = [];
    p.ami.on('event', (e) => seen.push(e.event ?? ''));
    await call(p, 'e10', '+79160000002');
    const [r] = await p.ended(1);
    expect(r?.recording).toMatch(/c2c-e10-a\.wav$/);
    expect(seen).toContain('UserEvent');
    expect(seen.filter((n) => n === 'VarSet' || n === 'Newexten')).toEqual([]);
    // MixMonitor ran once, at attempt 1.
    expect(p.pbx.events.filter((e) => amiGet(e, 'Variable') === 'MIXMONITOR_FILENAME')).toHaveLength(1);
  });

  it('an excluded number (ROUTE_RECORD=0): no MixMonitor, no recording in the call record (DECISIONS §18)', async () => {
    p = await pbxHarness();
    const rules = labRules();
    p.h.routing.rules.set({ ...rules, rules: { ...rules.rules, crm: { ...rules.rules.crm, excluded: { ...rules.rules.crm.excluded, numbers: ['+79160000001'] } } } });
    await call(p, 'e11', '+79160000001');
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ statusCode: '200', trunkId: 'trunk-answer', recording: null });
    expect(r?.attempts).toHaveLength(2);
    expect(p.pbx.events.filter((e) => amiGet(e, 'Variable') === 'MIXMONITOR_FILENAME' || amiGet(e, 'Event') === 'MixMonitorStart')).toEqual([]);
    expect(p.pbx.events.filter((e) => amiGet(e, 'UserEvent') === 'ConnectorRecording')).toEqual([]);
    const routeRecord = p.pbx.events.find((e) => amiGet(e, 'Variable') === 'ROUTE_RECORD');
    expect(routeRecord && amiGet(routeRecord, 'Value')).toBe('0');
  });

  it.each([
    ['112', 'connector-emergency', 'PJSIP/112@default-trunk'],
    // [connector-internal] is included before the emergency numbers: 101–104 are extensions there.
    ['103', 'connector-outbound', 'PJSIP/103,30'],
    ['205', 'connector-outbound', 'PJSIP/205,30'],
  ])('%s dialled on a desk phone is sent on before the route request (DECISIONS §3)', async (number, context, dial) => {
    p = await pbxHarness();
    await p.pbx.placeDeskCall('100', number).finished;
    const apps = p.pbx.events.filter((e) => amiGet(e, 'Event') === 'Newexten').map((e) => [amiGet(e, 'Context'), amiGet(e, 'Application'), amiGet(e, 'AppData')]);
    expect(apps).toContainEqual([context, 'Dial', dial]);
    expect(apps.filter(([, app]) => app === 'AGI')).toEqual([]);
  });

  it.each([
    ['busy', '+79160000002', '486', 'trunk-busy'],
    ['no answer', '+79160000003', '304', 'trunk-noanswer'],
  ])('no rotation after %s', async (_what, number, status, trunk) => {
    p = await pbxHarness();
    await call(p, 'e2', number);
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ statusCode: status, trunkId: trunk });
    expect(r?.attempts).toHaveLength(1);
  });

  it('no rotation after a reject (cause 21) that followed a rotated no-balance (68) → 603', async () => {
    p = await pbxHarness();
    await call(p, 'e3', '+79160000004');
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ statusCode: '603' });
    expect(r?.attempts.map((a) => a.hangupCause)).toEqual([68, 21]);
  });

  it('rotation after a missing context (CHANUNAVAIL 0) and a temporary failure (41): answered on the third trunk → 200', async () => {
    p = await pbxHarness();
    await call(p, 'e12', '+79160000005');
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ statusCode: '200', trunkId: 'trunk-answer' });
    expect(r?.attempts.map((a) => [a.trunkId, a.dialStatus, a.hangupCause])).toEqual([
      ['no-such-context', 'CHANUNAVAIL', 0], ['trunk-temporary-failure', 'CHANUNAVAIL', 41], ['trunk-answer', 'ANSWER', 16],
    ]);
  });

  it('the 5-attempt cap: six technical failures in the plan, five dialled → 503', async () => {
    p = await pbxHarness();
    // The sixth trunk (trunk-answer) would answer: the cap must stop before it.
    p.h.routing.rules.set(labRules({ maxAttempts: 5 }));
    await call(p, 'e4', '+79160000006');
    const [r] = await p.ended(1);
    expect(r?.attempts).toHaveLength(5);
    expect(r?.attempts.some((a) => a.trunkId === 'trunk-answer')).toBe(false);
    expect(r).toMatchObject({ statusCode: '503' });
  });

  it("the manager's phone does not answer → 603-S with FAILED_REASON, no route request", async () => {
    p = await pbxHarness({ phones: { '101': { kind: 'noanswer' } } });
    await call(p, 'e5', '+79160000001', '101');
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ callId: 'c2c-e5', statusCode: '603-S', attempts: [] });
    expect(r?.failedReason).toMatch(/did not answer/);
  });

  it('an unknown channel technology → 603-S', async () => {
    p = await pbxHarness();
    const h = p.h;
    await originateClickToCall({
      store: h.store, routing: h.routing, originator: p.ami, clock: h.clock, logger: h.log.logger, newId: () => 'e6',
      channelTemplate: 'Foo/{extension}', context: 'connector-outbound', timeoutMs: 3000, onPlanned: (c) => h.service.remember(c),
    }, { crmCallId: 'e6', userId: '12', extension: '100', number: '+79160000001', numberIsInternational: true, origin: 'crm', line: null });
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ callId: 'c2c-e6', statusCode: '603-S' });
  });

  it('a desk-phone call is routed by the caller’s extension and recorded without a CRM call id', async () => {
    p = await pbxHarness();
    const desk = p.pbx.placeDeskCall('100', '79160000002');
    await desk.finished;
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ crmCallId: null, origin: 'phone', extension: '100', userId: '12', statusCode: '486', trunkId: 'trunk-busy' });
  });

  it('a FastAGI request for an unknown extension: stop, reason logged, the call still recorded', async () => {
    p = await pbxHarness();
    const desk = p.pbx.placeDeskCall('555', '79160000001');
    await desk.finished;
    await p.ended(1);
    expect(p.h.log.lines().some((l) => l.msg === 'route: stop' && String(l.reason).includes('extension 555'))).toBe(true);
    const call = await p.h.store.findCall(p.records[0]?.callId ?? '');
    expect(call).toMatchObject({ refusalCode: 'UNKNOWN_USER', statusCode: '403' });
  });

  it('the connector unreachable: the dialplan fails open and the call is still recorded', async () => {
    // Point the double at a port nobody listens on.
    p = await pbxHarness({ fastAgiPort: 1 });
    await call(p, 'e8', '+79160000001');
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ callId: 'c2c-e8', statusCode: '200', trunkId: 'failopen' });
    expect(r?.attempts).toMatchObject([{ outcomeSource: 'failopen' }]);
  });

  it('a connector failure during the route request answers failopen: the dialplan still places the call, recorded as fail-open', async () => {
    p = await pbxHarness();
    const rules = p.h.routing.rules;
    const current = rules.current.bind(rules);
    let failures = 1;
    rules.current = () => {
      if (failures-- > 0) throw new Error('rules store unavailable');
      return current();
    };
    await p.pbx.placeDeskCall('100', '79160000001').finished;
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ origin: 'phone', statusCode: '200', trunkId: 'failopen' });
    const failOpen = p.pbx.events.find((e) => amiGet(e, 'UserEvent') === 'ConnectorFailOpen');
    expect(failOpen && [amiGet(failOpen, 'AgiStatus'), amiGet(failOpen, 'Reason')]).toEqual(['SUCCESS', 'connector error']);
  });

  it('AMI disconnect and reconnect in the middle of a call: the call record is still produced', async () => {
    p = await pbxHarness();
    const harness = p;
    const dropped = new Promise<void>((resolve) => {
      const off = harness.pbx.onEvent((ev) => {
        // Cut the AMI connection as soon as the answered trunk leg starts ringing.
        if (amiGet(ev, 'Event') === 'DialBegin' && (amiGet(ev, 'DialString') ?? '').includes('trunk-answer')) {
          off();
          harness.pbx.dropAllAmiConnections();
          resolve();
        }
      });
    });
    const reconnected = new Promise<void>((resolve) => harness.ami.once('connected', () => resolve()));
    await call(p, 'e9', '+79160000001');
    await dropped;
    await reconnected;
    await harness.pbx.idle();
    // Whatever was missed while disconnected, the call is closed with what is known.
    await reconcileWithPbx(harness.ami, harness.h.tracker, 60_000);
    const [r] = await p.ended(1);
    expect(r).toMatchObject({ callId: 'c2c-e9' });
    expect(r?.attempts.map((a) => a.trunkId)).toEqual(['trunk-congestion', 'trunk-answer']);
  });
});
