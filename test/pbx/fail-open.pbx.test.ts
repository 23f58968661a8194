import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFastAgi, routeAnswer, type FakeBehaviour } from './fake-fastagi.ts';
import { freePort, labNumber, PbxTier, TIER_START_MS } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';
import { adminContexts } from './lab-site.ts';

/**
 * DECISIONS §10 on the real Asterisk: whenever the shipped dialplan has no usable route before the
 * first attempt or after a technical failure, the call goes out on the fail-open trunk; never after
 * the callee's own answer or a deliberate stop. Each call is a desk-phone call whose route server
 * (CONNECTOR_AGI, inherited from the phone's channel) is a connector failing in one way.
 */
describe.skipIf(!hasLab)(`real Asterisk: fail-open of the shipped dialplan${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  // A second PBX without func_cut (and with 2XX/3XX-only extensions, so 101–104 are emergency numbers).
  let bare: PbxTier;
  const fakes: FakeFastAgi[] = [];
  beforeAll(async () => {
    [tier, bare] = await Promise.all([
      PbxTier.start(),
      PbxTier.start({
        withoutModules: ['func_cut.so'],
        contexts: { ...adminContexts(), 'connector-internal': 'exten => _[23]XX,1,Dial(Local/${EXTEN}@lab-internal,30)\n same => n,Hangup()' },
      }),
    ]);
  }, TIER_START_MS);
  afterAll(async () => {
    const left = [...(await tier?.ami.channels() ?? []), ...(await bare?.ami.channels() ?? [])];
    await Promise.all([tier?.stop(), bare?.stop(), ...fakes.map((f) => f.close())]);
    expect(left.map((c) => c.Channel)).toEqual([]);
  });

  async function fake(behaviour: FakeBehaviour): Promise<FakeFastAgi> {
    const f = await FakeFastAgi.start(behaviour);
    fakes.push(f);
    return f;
  }

  /** A desk-phone call to a fresh number whose route server is `agi`; the trunks it reached and its fail-opens. */
  async function call(on: PbxTier, scenario: number, agi: string, vars: Record<string, string> = {}, kinds: Parameters<typeof labNumber>[1] = []) {
    const number = labNumber(scenario, kinds);
    const linkedid = await on.deskCall(number, { CONNECTOR_AGI: agi, ...vars });
    await on.callGone(linkedid);
    return { number, trunks: on.attemptsOf(linkedid).map((a) => a.trunk), failOpens: on.failOpensOf(linkedid).map((e) => e.AgiStatus) };
  }

  it.concurrent('the connector unreachable (port closed): AGISTATUS FAILURE, fail-open', async () => {
    const r = await call(tier, 30, `agi://127.0.0.1:${await freePort()}/route`);
    expect(r).toMatchObject({ trunks: ['failopen'], failOpens: ['FAILURE'] });
  });

  it.concurrent('the session accepted and closed without an answer: fail-open', async () => {
    const r = await call(tier, 31, (await fake({ kind: 'accept-close' })).url);
    expect(r).toMatchObject({ trunks: ['failopen'], failOpens: ['SUCCESS'] });
  });

  it.concurrent('no answer within the route deadline (CONNECTOR_ROUTE_DEADLINE, 1 s here): the T extension fails open', async () => {
    const hang = await fake({ kind: 'hang' });
    const r = await call(tier, 32, hang.url, { CONNECTOR_ROUTE_DEADLINE: '1' });
    expect(r).toMatchObject({ trunks: ['failopen'], failOpens: ['TIMEOUT'] });
    expect(hang.sessions).toBe(1);
  });

  it('the connector itself stuck (SIGSTOP) past the deadline: the call fails open, and is recorded once it resumes', async () => {
    const number = labNumber(42, []);
    tier.connector.kill('SIGSTOP');
    let linkedid: string;
    try {
      linkedid = await tier.deskCall(number, { CONNECTOR_ROUTE_DEADLINE: '1' });
      await tier.ami.waitEvent('the fail-open', (e) => e.UserEvent === 'ConnectorFailOpen' && e.Linkedid === linkedid);
    } finally {
      tier.connector.kill('SIGCONT');
    }
    await tier.callGone(linkedid);
    expect(tier.attemptsOf(linkedid).map((a) => a.trunk)).toEqual(['failopen']);
    expect(tier.failOpensOf(linkedid).map((e) => e.AgiStatus)).toEqual(['TIMEOUT']);
    const crm = await tier.registered(number);
    const finish = await tier.finished(crm.CALL_ID);
    expect(finish.STATUS_CODE).toBe('200');
    expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
  });

  it.concurrent('garbage instead of AGI commands: fail-open', async () => {
    const r = await call(tier, 33, (await fake({ kind: 'garbage' })).url);
    expect(r).toMatchObject({ trunks: ['failopen'], failOpens: ['SUCCESS'] });
  });

  it.concurrent('an answer the dialplan cannot use (an unknown action, a dial without a dial string): fail-open', async () => {
    const unknown = await call(tier, 34, (await fake({ kind: 'commands', commands: () => ['SET VARIABLE ROUTE "redirect|x|||||"'] })).url);
    const empty = await call(tier, 35, (await fake({ kind: 'commands', commands: () => [routeAnswer({ action: 'dial' })] })).url);
    expect([unknown.trunks, empty.trunks]).toEqual([['failopen'], ['failopen']]);
  });

  it.concurrent('a technical failure, then the connector gone: the next attempt fails open', async () => {
    const number = labNumber(36, ['congestion']);
    let sessions = 0;
    const agi = await fake({ kind: 'commands', commands: () => (++sessions === 1 ? [routeAnswer({ action: 'dial', dial: `Local/${number.slice(1)}@lab-t1`, timeout: 2, record: 1 })] : []) });
    const r = await call(tier, 36, agi.url, {}, ['congestion']);
    expect(r).toMatchObject({ trunks: ['t1', 'failopen'], failOpens: ['SUCCESS'] });
  });

  it.concurrent('a technical failure, then a connector that knows nothing of the call (its first step lost): it answers fail-open', async () => {
    const number = labNumber(43, ['congestion']);
    const [global] = await tier.ami.action({ Action: 'Getvar', Variable: 'CONNECTOR_AGI' });
    // Attempt 1 is answered elsewhere; the channel's own CONNECTOR_AGI sends attempt 2 to the connector.
    const first = await fake({ kind: 'commands', commands: () => [routeAnswer({ action: 'dial', dial: `Local/${number.slice(1)}@lab-t1`, timeout: 2, record: 0 }), `SET VARIABLE CONNECTOR_AGI "${global?.Value ?? ''}"`] });
    const r = await call(tier, 43, first.url, {}, ['congestion']);
    expect(r).toMatchObject({ trunks: ['t1', 'failopen'], failOpens: ['SUCCESS'] });
    await tier.connector.waitLog('the fail-open answer', (l) => String(l.msg).includes('answering fail-open') && l.attempt === 2 && String(l.exten).endsWith(number.slice(1)));
  });

  it.concurrent.each([['busy', 37], ['noanswer', 38]] as const)('%s, then the connector gone: no second request, no fail-open (no client is called twice)', async (kind, scenario) => {
    const number = labNumber(scenario, [kind]);
    const agi = await fake({ kind: 'commands', commands: () => [routeAnswer({ action: 'dial', dial: `Local/${number.slice(1)}@lab-t1`, timeout: 2, record: 1 })] });
    const r = await call(tier, scenario, agi.url, {}, [kind]);
    expect(r).toMatchObject({ trunks: ['t1'], failOpens: [] });
    expect(agi.sessions).toBe(1);
  });

  it.concurrent('a deliberate stop is obeyed, also where CUT() is missing', async () => {
    const stop = () => fake({ kind: 'commands', commands: () => [routeAnswer({ action: 'stop', reason: 'refused' })] });
    const [here, there] = await Promise.all([call(tier, 39, (await stop()).url), call(bare, 40, (await stop()).url)]);
    expect([here, there].map((r) => [r.trunks, r.failOpens])).toEqual([[[], []], [[], []]]);
  });

  it.concurrent('CUT() missing (func_cut not loaded): the real connector answers, the dialplan cannot read it and fails open; the call is still recorded', async () => {
    const number = labNumber(41, []);
    const linkedid = await bare.deskCall(number);
    await bare.callGone(linkedid);
    expect(bare.attemptsOf(linkedid).map((a) => a.trunk)).toEqual(['failopen']);
    expect(bare.failOpensOf(linkedid).map((e) => e.AgiStatus)).toEqual(['SUCCESS']);
    const crm = await bare.registered(number);
    expect((await bare.finished(crm.CALL_ID)).STATUS_CODE).toBe('200');
  });

  it.concurrent('where 101–104 are not extensions, they reach the emergency trunk; 2XX stays internal', async () => {
    for (const [dialled, trunk] of [['103', 'emergency'], ['201', 'internal']] as const) {
      const linkedid = await bare.deskCall(dialled);
      await bare.ami.waitEvent(`${dialled} reaching ${trunk}`, (e) => e.UserEvent === 'LabTrunk' && e.Linkedid === linkedid);
      await bare.hangUp(linkedid);
      await bare.callGone(linkedid);
      expect(bare.attemptsOf(linkedid).map((a) => a.trunk)).toEqual([trunk]);
    }
  });
});
