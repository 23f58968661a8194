import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNumber, PbxTier, TIER_START_MS, waitUntil } from './harness.ts';
import { LabAmi } from './lab-ami.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';
import type { Behaviour } from './lab-site.ts';

/**
 * Outgoing calls on the real Asterisk with the shipped dialplan and AMI user: rotation, stops, the
 * attempt cap, number formats, emergency and internal numbers. The calls run concurrently on one
 * server; each has its own number, so nothing of one call can be mistaken for another's.
 */
describe.skipIf(!hasLab)(`real Asterisk: outgoing calls through the shipped dialplan${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  beforeAll(async () => { tier = await PbxTier.start(); }, TIER_START_MS);
  afterAll(async () => {
    // Every call of the file is over: no channel may be left on the PBX.
    const left = await tier?.ami.channels();
    await tier?.stop();
    expect(left?.map((c) => c.Channel)).toEqual([]);
  });

  /** A desk-phone call of extension 100 (sales, on the CRM whitelist) to `dialled`; what it became. */
  async function deskCall(dialled: string, e164: string) {
    const linkedid = await tier.deskCall(dialled);
    await tier.callGone(linkedid);
    const crm = await tier.registered(e164);
    const finish = await tier.finished(crm.CALL_ID);
    return { linkedid, crm, finish, attempts: tier.attemptsOf(linkedid) };
  }

  // Every (DIALSTATUS, cause) the lab trunks produce (DECISIONS §9, §17): rotate on a technical
  // failure, stop on the callee's own answer.
  it.concurrent.each<[string, number, Behaviour[], string[], string]>([
    ['congestion (cause 34) rotates', 11, ['congestion'], ['t1', 't2'], '200'],
    ['no credit (GSM cause 68) rotates', 12, ['nobalance'], ['t1', 't2'], '200'],
    ['temporary failure (cause 41) rotates', 13, ['temporary-failure'], ['t1', 't2'], '200'],
    ['a dial string Asterisk cannot even create a channel for (CHANUNAVAIL, cause 0) rotates', 14, ['missing'], ['t2'], '200'],
    // A Local "gateway" hanging up with cause 0 before ringing reads as NOANSWER/16 on the real server.
    ['a gateway that hangs up before ringing (NOANSWER, cause 16) stops', 22, ['unavailable'], ['t1'], '304'],
    ['busy stops (BUSY with cause 0)', 15, ['busy'], ['t1'], '486'],
    ['no answer stops', 16, ['noanswer'], ['t1'], '304'],
    ['rejected (cause 21) stops', 17, ['rejected'], ['t1'], '603'],
    ['unallocated number (cause 1) stops', 18, ['unallocated'], ['t1'], '404'],
    ['two rotations, then busy: 486 after three attempts', 19, ['nobalance', 'temporary-failure', 'busy'], ['t1', 't2', 't3'], '486'],
    ['five congestions: the 5-attempt cap, 503', 20, ['congestion', 'congestion', 'congestion', 'congestion', 'congestion'], ['t1', 't2', 't3', 't4', 't5'], '503'],
    ['five trunks without credit: 402', 21, ['nobalance', 'nobalance', 'nobalance', 'nobalance', 'nobalance'], ['t1', 't2', 't3', 't4', 't5'], '402'],
  ])('%s', async (_title, scenario, kinds, trunks, status) => {
    const number = labNumber(scenario, kinds);
    const { linkedid, crm, finish, attempts } = await deskCall(number, number);
    expect(attempts).toEqual(trunks.map((trunk) => ({ trunk, exten: number.slice(1), callerId: '74951234510' })));
    expect(finish.STATUS_CODE).toBe(status);
    expect(tier.failOpensOf(linkedid)).toEqual([]);
    if (status === '200') {
      expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
      await tier.recordAttached(crm.CALL_ID);
    } else {
      expect(Number(finish.DURATION ?? 0)).toBe(0);
    }
  });

  it.concurrent('a click-to-call: the manager answers, the client answers on the first trunk; 200, talk time, record', async () => {
    const number = labNumber(60, []);
    const crmCallId = await tier.click('1', number);
    const linkedid = await tier.linkedidOf(crmCallId);
    await tier.callGone(linkedid);
    expect(tier.attemptsOf(linkedid)).toEqual([{ trunk: 't1', exten: number.slice(1), callerId: '74951234510' }]);
    const finish = await tier.finished(crmCallId);
    expect(finish.STATUS_CODE).toBe('200');
    expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
    await tier.recordAttached(crmCallId);
  });

  it.concurrent("the manager's phone does not answer: 603-S, no trunk dialled", async () => {
    const crmCallId = await tier.click('4', labNumber(61, []));
    const linkedid = await tier.linkedidOf(crmCallId);
    const finish = await tier.finished(crmCallId);
    expect(finish.STATUS_CODE).toBe('603-S');
    await tier.callGone(linkedid);
    expect(tier.attemptsOf(linkedid)).toEqual([]);
  });

  it.concurrent('an excluded number is dialled but never recorded nor written to the CRM (DECISIONS §18)', async () => {
    const linkedid = await tier.deskCall('+74950001122');
    await tier.callGone(linkedid);
    expect(tier.attemptsOf(linkedid).map((a) => a.trunk)).toEqual(['t1']);
    await tier.handedOff(linkedid);
    expect(tier.eventsOf(linkedid).filter((e) => e.UserEvent === 'ConnectorRecording' || e.Event === 'MixMonitorStart')).toEqual([]);
    expect(tier.registeredFor('+74950001122')).toEqual([]);
  });

  // The same client written the ways people and CRMs write numbers: one E.164 number on the trunk.
  it.concurrent.each<[string, number, (n: string) => string]>([
    ['8XXXXXXXXXX', 70, (n) => `8${n.slice(2)}`],
    ['+7XXXXXXXXXX', 71, (n) => n],
    ['7XXXXXXXXXX', 72, (n) => n.slice(1)],
    ['10 digits', 73, (n) => n.slice(2)],
  ])('a desk phone dials %s: routed as +7…', async (_form, scenario, write) => {
    const number = labNumber(scenario, []);
    const { finish, attempts } = await deskCall(write(number), number);
    expect(attempts).toEqual([{ trunk: 't1', exten: number.slice(1), callerId: '74951234510' }]);
    expect(finish.STATUS_CODE).toBe('200');
  });

  it.concurrent.each([['810…', '8104930123400000'], ['+…', '+4930123400001']])('a desk phone dials an international number as %s', async (_form, dialled) => {
    const e164 = dialled.startsWith('810') ? `+${dialled.slice(3)}` : dialled;
    const { finish, attempts } = await deskCall(dialled, e164);
    expect(attempts.map((a) => [a.trunk, a.exten])).toEqual([['t1', e164.slice(1)]]);
    expect(finish.STATUS_CODE).toBe('200');
  });

  // PHONE_NUMBER as the CRM holds it; PHONE_NUMBER_INTERNATIONAL only where Bitrix24 has one.
  it.concurrent.each<[string, string, string, string]>([
    ['8XXXXXXXXXX', '89008000000', '', '+79008000000'],
    ['+7XXXXXXXXXX', '+79008100000', '+79008100000', '+79008100000'],
    ['7XXXXXXXXXX', '79008200000', '', '+79008200000'],
    ['10 digits', '9008300000', '', '+79008300000'],
    ['810…', '8104930123400002', '', '+4930123400002'],
    ['+…', '+4930123400003', '+4930123400003', '+4930123400003'],
  ])('a click-to-call to a number the CRM holds as %s', async (_form, phone, international, number) => {
    const crmCallId = await tier.click('1', phone, international);
    const linkedid = await tier.linkedidOf(crmCallId);
    await tier.callGone(linkedid);
    expect(tier.attemptsOf(linkedid).map((a) => [a.trunk, a.exten])).toEqual([['t1', number.slice(1)]]);
    expect((await tier.finished(crmCallId)).STATUS_CODE).toBe('200');
  });

  it.concurrent('112 reaches the emergency trunk; 101–104 and other 3-digit numbers are the internal extensions of rules/users.yaml', async () => {
    for (const [dialled, trunk] of [['112', 'emergency'], ['101', 'internal'], ['104', 'internal'], ['105', 'internal']] as const) {
      const linkedid = await tier.deskCall(dialled);
      await tier.ami.waitEvent(`${dialled} reaching ${trunk}`, (e) => e.UserEvent === 'LabTrunk' && e.Linkedid === linkedid);
      await tier.hangUp(linkedid);
      await tier.callGone(linkedid);
      expect(tier.attemptsOf(linkedid).map((a) => [a.trunk, a.exten])).toEqual([[trunk, dialled]]);
      expect(tier.eventsOf(linkedid).filter((e) => e.UserEvent === 'ConnectorAttempt' || e.Application === 'AGI')).toEqual([]);
    }
  });

  it.concurrent("the shipped [globals] merge with the PBX's own (FreePBX has one)", async () => {
    const globals = await tier.asterisk.cli('dialplan show globals');
    expect(globals).toContain('LAB_SITE_GLOBAL=kept');
    expect(globals).toContain('CONNECTOR_AGI=agi://127.0.0.1:');
  });

  it.concurrent("the shipped AMI user's eventfilter lets through exactly the events the tracker reads", async () => {
    const asConnector = await LabAmi.connect(tier.asterisk.amiPort, tier.connectorSecret, 'connector');
    try {
      const number = labNumber(91, ['congestion']);
      const linkedid = await tier.deskCall(number);
      await tier.callGone(linkedid);
      await asConnector.waitEvent('the last hang-up', (e) => e.Event === 'Hangup' && e.Uniqueid === linkedid);
      // (LabTrunk is the lab trunks' own UserEvent: the `user` class lets every UserEvent through.)
      const names = new Set(asConnector.events.filter((e) => e.Linkedid === linkedid && e.UserEvent !== 'LabTrunk').map((e) => e.UserEvent ?? e.Event));
      expect([...names].sort()).toEqual(['BridgeEnter', 'ConnectorAttempt', 'ConnectorRecording', 'DialBegin', 'DialEnd', 'Hangup', 'Newchannel']);
      expect(tier.eventsOf(linkedid).some((e) => e.Event === 'Newexten' || e.Event === 'VarSet')).toBe(true);
    } finally {
      asConnector.close();
    }
  });

  it.concurrent('the AMI connection is cut in the middle of a call (manager reload, session kicked): the connector reconnects, the record is right', async () => {
    const number = labNumber(90, ['congestion']);
    const linkedid = await tier.deskCall(number);
    await tier.ami.waitEvent('the answer', (e) => e.Event === 'DialEnd' && e.Linkedid === linkedid && e.DialStatus === 'ANSWER');
    const before = tier.connector.lines.filter((l) => l.msg === 'AMI connected').length;
    await tier.asterisk.cli('manager reload');
    const session = (await tier.asterisk.cli('manager show connected')).split('\n').find((l) => l.trim().startsWith('connector'));
    const fd = session?.trim().split(/\s+/)[4];
    expect(fd).toMatch(/^\d+$/);
    await tier.asterisk.cli(`manager kick session ${fd}`);
    await waitUntil('the connector to log in again', () => tier.connector.lines.filter((l) => l.msg === 'AMI connected').length > before);
    await tier.callGone(linkedid);
    const crm = await tier.registered(number);
    const finish = await tier.finished(crm.CALL_ID);
    expect(finish.STATUS_CODE).toBe('200');
    expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
  });
});
