import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoubleCall } from '../../src/doubles/bitrix24/portal-state.ts';
import { labNumber, PbxTier, TIER_START_MS, waitUntil } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';

/**
 * The responsible-manager and any-manager steps on the real Asterisk with the shipped
 * extensions_inbound.conf: the Bitrix24 double answers searchCrmEntities with the caller's
 * responsible manager; lab phones 1XX answer, 2XX ring and never answer, 400 does not exist
 * (DEVICE_STATE INVALID: offline); the managers' mobiles are lab numbers behind outbound trunks.
 */

// Lab users (rules/users.yaml): 1→100, 2→101, 3→102, 4→200, 5→201, 6→300, 7→400.
const ANSWERING_MOBILE = labNumber(50, ['answer']);
const SILENT_MOBILE = labNumber(51, ['noanswer']);
const AWAY_MANAGER_MOBILE = labNumber(52, ['answer']);
const INBOUND_YAML = `
phoneDial: Local/{extension}@phones
missedCallOwner: 5
numbers:
  - { number: '+74950000101', scenario: resp }
  - { number: '+74950000102', scenario: any }
  - { number: '+74950000103', scenario: resp-long }
  - { number: '+74950000104', scenario: resp-team }
  - { number: '+74950000105', scenario: resp-colleague }
  - { number: '+74950000106', scenario: resp-timeman }
scenarios:
  - id: resp
    department: 10
    steps:
      - responsible: { ringTime: 3, mobileRingTime: 4 }
      - hangup
  - id: resp-long
    department: 10
    steps:
      - responsible: { ringTime: 15, mobileRingTime: 15 }
      - hangup
  - id: any
    steps: [{ anyManager: { ringTime: 30 } }, { group: pool }]
  - id: resp-team
    department: 10
    steps:
      - responsible: { ringTime: 2, mobileRingTime: 3, fallback: { group: team } }
      - hangup
  - id: resp-colleague
    department: 10
    steps:
      - responsible: { ringTime: 2, mobileRingTime: 3, fallback: { user: 5 } }
      - hangup
  - id: resp-timeman
    department: 10
    steps:
      - responsible: { ringTime: 3, mobileRingTime: 4, bitrix24State: true }
      - hangup
groups:
  - { id: pool, strategy: order, ringTime: 2, members: [7, 2, 4] }
  - { id: team, strategy: order, ringTime: 2, members: [5, 2] }
`;

// Callers the CRM knows: whose contact, and so whose responsible manager.
const OFFLINE_MANAGER_CALLER = '79160000101';
const SILENT_MANAGER_CALLER = '79160000102';
const AWAY_MANAGER_CALLER = '79160000103';

describe.skipIf(!hasLab)(`real Asterisk: the responsible manager and any manager${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  beforeAll(async () => {
    tier = await PbxTier.start({ rules: (dir) => fs.writeFileSync(path.join(dir, 'inbound.yaml'), INBOUND_YAML) });
    tier.bitrix24.state.users = [
      { ID: '7', UF_PHONE_INNER: '400', PERSONAL_MOBILE: ANSWERING_MOBILE, WORK_PHONE: null },
      { ID: '4', UF_PHONE_INNER: '200', PERSONAL_MOBILE: SILENT_MOBILE, WORK_PHONE: null },
      // At the desk phone 100, which would answer, but their working day is closed in Bitrix24.
      { ID: '1', UF_PHONE_INNER: '100', PERSONAL_MOBILE: AWAY_MANAGER_MOBILE, WORK_PHONE: null, TIMEMAN_STATUS: 'CLOSED' },
    ];
    tier.bitrix24.state.crmEntities.set(OFFLINE_MANAGER_CALLER, [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 11, ASSIGNED_BY_ID: 7, NAME: 'Offline manager\'s client' }]);
    tier.bitrix24.state.crmEntities.set(SILENT_MANAGER_CALLER, [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 12, ASSIGNED_BY_ID: 4, NAME: 'Silent manager\'s client' }]);
    tier.bitrix24.state.crmEntities.set(AWAY_MANAGER_CALLER, [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 13, ASSIGNED_BY_ID: 1, NAME: 'Away manager\'s client' }]);
  }, TIER_START_MS);
  afterAll(async () => {
    const left = await tier?.ami.channels() ?? [];
    await tier?.stop();
    expect(left.map((c) => c.Channel)).toEqual([]);
  });

  const steps = (id: string): string[] => tier.inboundSteps(id);
  const failOpens = (id: string): string[] => tier.eventsOf(id).filter((e) => e.UserEvent === 'ConnectorInboundFailOpen').map((e) => e.Reason ?? e.AgiStatus ?? '');
  const registeredInbound = (linkedid: string): Promise<DoubleCall> =>
    waitUntil(`register of ${linkedid}`, () => [...tier.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === linkedid));
  const finishedInbound = async (linkedid: string): Promise<Record<string, unknown>> => tier.finished((await registeredInbound(linkedid)).CALL_ID);
  const stepEvent = (id: string, action: string) =>
    tier.ami.waitEvent(`the ${action} step of ${id}`, (e) => e.UserEvent === 'ConnectorInboundStep' && e.Linkedid === id && e.Action === action, 30_000);
  const hangUpCaller = async (id: string): Promise<void> => {
    const c = (await tier.ami.channels()).find((ch) => ch.Uniqueid === id);
    await tier.ami.action({ Action: 'Hangup', Channel: c?.Channel ?? '' });
    await tier.callGone(id);
  };

  it('an offline responsible manager is skipped at once; they answer on their mobile through an outbound trunk; the call is theirs', async () => {
    const id = await tier.inboundCall('74950000101', { caller: OFFLINE_MANAGER_CALLER });
    await tier.callGone(id, 30_000);
    // 400 is no phone the PBX knows: never dialled, straight to the mobile (whose hang-up ends the call).
    expect(steps(id)).toEqual(['probe Local/400@phones', `forward ${ANSWERING_MOBILE}`]);
    expect(tier.phonesRung(id)).toEqual([]);
    expect(tier.attemptsOf(id).map((a) => a.exten).join()).toContain(ANSWERING_MOBILE.slice(2));
    expect(failOpens(id)).toEqual([]);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '7', STATUS_CODE: '200' });
  });

  it('a responsible manager who does not answer: their mobile through an outbound trunk, then the next step; the missed call is theirs', async () => {
    const id = await tier.inboundCall('74950000101', { caller: SILENT_MANAGER_CALLER });
    await tier.callGone(id, 30_000);
    expect(steps(id)).toEqual(['probe Local/200@phones', 'dial Local/200@phones', `forward ${SILENT_MOBILE}`, 'hangup']);
    expect(tier.phonesRung(id)).toEqual(['200']);
    expect(tier.attemptsOf(id).length).toBeGreaterThan(0);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
  });

  it('a caller the CRM does not know: the step is passed; a call that rang nobody is owned by missedCallOwner', async () => {
    const id = await tier.inboundCall('74950000101', { caller: '79160009999' });
    await tier.callGone(id);
    expect(steps(id)).toEqual(['hangup']);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '5', STATUS_CODE: '304' });
  });

  it('the caller hangs up while the responsible manager\'s phone rings: missed, theirs', async () => {
    const id = await tier.inboundCall('74950000103', { caller: SILENT_MANAGER_CALLER });
    await stepEvent(id, 'dial');
    await tier.ami.waitEvent('200 ringing', (e) => e.Event === 'DialBegin' && e.Linkedid === id);
    await hangUpCaller(id);
    expect(steps(id)).toEqual(['probe Local/200@phones', 'dial Local/200@phones']);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
  });

  it('the caller hangs up while the responsible manager\'s mobile rings: missed, theirs, the outbound leg gone too', async () => {
    const id = await tier.inboundCall('74950000101', { caller: SILENT_MANAGER_CALLER });
    await stepEvent(id, 'forward');
    await tier.ami.waitEvent('the mobile ringing', (e) => e.Event === 'UserEvent' && e.UserEvent === 'LabTrunk' && e.Linkedid === id, 15_000);
    await hangUpCaller(id);
    expect(steps(id).at(-1)).toBe(`forward ${SILENT_MOBILE}`);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
  });

  it('neither the responsible manager\'s phone nor their mobile answers: the fallback group rings in its order (201, then 101), 101 answers; the call is theirs', async () => {
    const id = await tier.inboundCall('74950000104', { caller: SILENT_MANAGER_CALLER });
    expect(await tier.phoneAnswered(id)).toBe('101');
    await tier.hangUp(id);
    await tier.callGone(id);
    expect(steps(id)).toEqual(['probe Local/200@phones', 'dial Local/200@phones', `forward ${SILENT_MOBILE}`, 'dial Local/201@phones', 'dial Local/101@phones']);
    expect(tier.phonesRung(id)).toEqual(['200', '201', '101']);
    expect(tier.attemptsOf(id).length).toBeGreaterThan(0);
    expect(failOpens(id)).toEqual([]);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '2', STATUS_CODE: '200' });
  });

  it('the caller hangs up while the fallback user\'s phone rings: missed, and owned by the responsible manager, not the colleague rung last', async () => {
    const id = await tier.inboundCall('74950000105', { caller: SILENT_MANAGER_CALLER });
    await tier.ami.waitEvent('201 ringing', (e) => e.Event === 'DialBegin' && e.Linkedid === id && (e.DestChannel ?? '').startsWith('Local/201@phones'), 30_000);
    await hangUpCaller(id);
    expect(steps(id)).toEqual(['probe Local/200@phones', 'dial Local/200@phones', `forward ${SILENT_MOBILE}`, 'dial Local/201@phones']);
    expect(failOpens(id)).toEqual([]);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
  });

  it('bitrix24State: a responsible manager whose working day is CLOSED is not probed nor rung, though their phone would answer: straight to their mobile', async () => {
    const id = await tier.inboundCall('74950000106', { caller: AWAY_MANAGER_CALLER });
    await tier.callGone(id, 30_000);
    expect(steps(id)).toEqual([`forward ${AWAY_MANAGER_MOBILE}`]);
    expect(tier.phonesRung(id)).toEqual([]);
    expect(tier.attemptsOf(id).map((a) => a.exten).join()).toContain(AWAY_MANAGER_MOBILE.slice(2));
    expect(failOpens(id)).toEqual([]);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '1', STATUS_CODE: '200' });
  });

  it('any manager: of 400 (offline), 101 (on a call) and 200, the one free phone rings; the caller hangs up there: missed, owned by that manager', async () => {
    // 101 is on another call.
    const [busy] = await tier.ami.action({ Action: 'Originate', Channel: 'Local/101@phones', Application: 'Wait', Data: '60', Async: 'true', ChannelId: 'busy-101', OtherChannelId: 'busy-101-b' });
    expect(busy?.Response).toBe('Success');
    await tier.ami.waitEvent('101 on its call', (e) => e.Event === 'Newexten' && e.Linkedid === 'busy-101' && e.Application === 'Wait');
    const id = await tier.inboundCall('74950000102');
    await stepEvent(id, 'dial');
    await tier.ami.waitEvent('200 ringing', (e) => e.Event === 'DialBegin' && e.Linkedid === id);
    await hangUpCaller(id);
    await tier.hangUp('busy-101');
    expect(steps(id)).toEqual(['probe Local/400@phones&Local/101@phones&Local/200@phones', 'dial Local/200@phones']);
    expect(tier.phonesRung(id)).toEqual(['200']);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
  });

  it('the connector stopped while the responsible manager\'s phone rings: the call goes on to the mobile after the restart, and is still owned', async () => {
    const id = await tier.inboundCall('74950000103', { caller: SILENT_MANAGER_CALLER });
    await stepEvent(id, 'dial');
    await tier.connector.stop();
    await tier.connector.start();
    await stepEvent(id, 'forward');
    await hangUpCaller(id);
    expect(steps(id)).toEqual(['probe Local/200@phones', 'dial Local/200@phones', `forward ${SILENT_MOBILE}`]);
    expect(failOpens(id)).toEqual([]);
    expect(await finishedInbound(id)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
  });
});
