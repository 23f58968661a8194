import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, labNumber, PbxTier, TIER_START_MS, waitUntil } from './harness.ts';
import type { DoubleCall } from '../../src/doubles/bitrix24/portal-state.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';
import { writeTone } from './sounds.ts';

/**
 * Inbound scenarios on the real Asterisk with the shipped extensions_inbound.conf: every step kind,
 * lab phones as members (1XX answer, 2XX ring and never answer, 3XX are busy), prompts the test
 * writes as WAV files, keys pressed by the caller with SendDTMF, and fail-open when the connector
 * cannot be asked, at the first step or in the middle of a scenario.
 */

// Lab users (rules/users.yaml): 1→100, 2→101, 3→102, 4→200, 5→201, 6→300, 7→400.
function inboundYaml(sounds: string): string {
  const s = (n: string) => path.join(sounds, n);
  return `
phoneDial: Local/{extension}@phones
numbers:
  - { number: '+74950000001', scenario: all }
  - { number: '+74950000002', scenario: ordered }
  - { number: '+74950000003', scenario: extension }
  - { number: '+74950000004', scenario: menu }
  - { number: '+74950000005', scenario: timed }
  - { number: '+74950000006', scenario: random }
  - { number: '+74950000007', scenario: queue }
  - { number: '+74950000008', scenario: sip }
  - { number: '+74950000009', scenario: closing }
  - { number: '+74950000010', scenario: slow }
  - { number: '+74950000011', scenario: forward-answered }
  - { number: '+74950000012', scenario: forward-busy }
  - { number: '+74950000013', scenario: forward-crm }
scenarios:
  - id: all
    steps: [{ group: ring-all }]
  - id: ordered
    steps: [{ group: in-order }]
  - id: extension
    steps:
      - extension: { prompt: ${s('dial-extension')}, timeout: 3, ringTime: 10 }
      - employee: 3
  - id: menu
    steps:
      - ivr: { prompt: ${s('menu')}, timeout: 3, tries: 1, keys: { '1': all, '2': support } }
      - employee: 1
  - id: support
    steps: [{ employee: 3 }]
  - id: timed
    steps:
      - time: { ranges: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }], inside: null, outside: closing }
      - play: ${s('welcome')}
        seconds: 2
      - employee: 2
  - id: random
    steps: [{ group: weighted }]
  - id: queue
    steps: [{ group: round-robin }]
  - id: sip
    steps:
      - sip: Local/199@phones
        ringTime: 5
  - id: closing
    steps: [{ play: ${s('closed')} }, hangup, { employee: 1 }]
  - id: slow
    steps:
      - play: ${s('welcome')}
        seconds: 4
      - employee: 1
  - id: forward-answered
    department: 10
    steps: [{ external: '${labNumber(40, ['answer'])}' }]
  - id: forward-busy
    department: 10
    steps: [{ external: '${labNumber(41, ['busy'])}' }, { employee: 1 }]
  - id: forward-crm
    department: 10
    crmUser: 1
    steps: [{ external: '${labNumber(42, ['answer'])}' }]
groups:
  - { id: ring-all, strategy: all, ringTime: 5, members: [4, 5, 1] }
  - { id: in-order, strategy: order, ringTime: 2, members: [4, 6, 2] }
  - { id: weighted, strategy: wrandom, ringTime: 2, members: [{ user: 4, weight: 1 }, { user: 5, weight: 1 }, { user: 6, weight: 1 }, { user: 3, weight: 1 }] }
  - { id: round-robin, strategy: rrmemory, ringTime: 10, members: [4, 2] }
`;
}

describe.skipIf(!hasLab)(`real Asterisk: inbound scenarios${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  beforeAll(async () => {
    tier = await PbxTier.start({
      rules: (dir) => {
        const sounds = path.join(dir, '..', 'sounds');
        writeTone(sounds, 'dial-extension', 0.5);
        writeTone(sounds, 'menu', 0.5);
        writeTone(sounds, 'welcome', 0.7);
        writeTone(sounds, 'closed', 0.5);
        fs.writeFileSync(path.join(dir, 'inbound.yaml'), inboundYaml(sounds));
      },
      // The round-robin group's queue, as `npx b24pbx inbound queues` prints it for these rules.
      etc: (dir) => fs.writeFileSync(path.join(dir, 'queues.conf'), '[general]\n\n[connector-round-robin]\nstrategy = rrmemory\ntimeout = 5\nretry = 1\nmember => Local/200@phones\nmember => Local/101@phones\n'),
    });
  }, TIER_START_MS);
  afterAll(async () => {
    const left = await tier?.ami.channels() ?? [];
    await tier?.stop();
    expect(left.map((c) => c.Channel)).toEqual([]);
  });

  /** Waits for a phone to answer, checks no fail-open happened, hangs the call up. */
  async function answeredBy(linkedid: string): Promise<string> {
    const phone = await tier.phoneAnswered(linkedid);
    await tier.hangUp(linkedid);
    await tier.callGone(linkedid);
    expect(failOpens(linkedid)).toEqual([]);
    return phone;
  }

  function failOpens(linkedid: string): string[] {
    return tier.eventsOf(linkedid).filter((e) => e.UserEvent === 'ConnectorInboundFailOpen').map((e) => e.AgiStatus ?? '');
  }

  it.concurrent('a group rung all at once: every member rings together, the one who answers gets the call', async () => {
    const id = await tier.inboundCall('74950000001');
    expect(await answeredBy(id)).toBe('100');
    expect(tier.phonesRung(id).sort()).toEqual(['100', '200', '201']);
  });

  it.concurrent('a group rung in order: 200 does not answer, 300 is busy, 101 answers', async () => {
    const id = await tier.inboundCall('74950000002');
    expect(await answeredBy(id)).toBe('101');
    expect(tier.phonesRung(id)).toEqual(['200', '300', '101']);
  });

  it.concurrent('an extension dialled in tone mode rings that employee', async () => {
    const id = await tier.inboundCall('74950000003', { keys: '101' });
    expect(await answeredBy(id)).toBe('101');
    expect(tier.phonesRung(id)).toEqual(['101']);
  });

  it.concurrent('no extension dialled in time: the next step (an employee)', async () => {
    const id = await tier.inboundCall('+74950000003');
    expect(await answeredBy(id)).toBe('102');
    expect(tier.inboundSteps(id)[0]).toMatch(/^read .*dial-extension$/);
  });

  it.concurrent('an unknown extension: the next step', async () => {
    const id = await tier.inboundCall('84950000003', { keys: '999' });
    expect(await answeredBy(id)).toBe('102');
  });

  it.concurrent('IVR: key 2 jumps to the support scenario', async () => {
    const id = await tier.inboundCall('74950000004', { keys: '2' });
    expect(await answeredBy(id)).toBe('102');
  });

  it.concurrent('IVR: no key in time goes to the next step', async () => {
    const id = await tier.inboundCall('74950000004');
    expect(await answeredBy(id)).toBe('100');
  });

  it.concurrent('a time step inside the hours, then a prompt played for a set time, then an employee', async () => {
    const id = await tier.inboundCall('74950000005');
    expect(await answeredBy(id)).toBe('101');
    expect(tier.inboundSteps(id).map((s) => s.split(' ')[0])).toEqual(['play', 'dial']);
    // The play step ran its 2 s: the employee's phone rang no earlier.
    const events = tier.eventsOf(id);
    const played = events.find((e) => e.UserEvent === 'ConnectorInboundStep' && e.Action === 'play');
    const dialled = events.find((e) => e.Event === 'DialBegin');
    expect(Number(dialled?.Timestamp) - Number(played?.Timestamp)).toBeGreaterThanOrEqual(1.9);
  });

  it.concurrent('a weighted-random group rings each member once, in some order, until one answers', async () => {
    const id = await tier.inboundCall('74950000006');
    expect(await answeredBy(id)).toBe('102');
    const rung = tier.phonesRung(id);
    expect(new Set(rung).size).toBe(rung.length);
    expect(rung.at(-1)).toBe('102');
    expect(['200', '201', '300', '102']).toEqual(expect.arrayContaining(rung));
  });

  it.concurrent('a round-robin group rings through its Asterisk queue', async () => {
    const id = await tier.inboundCall('74950000007');
    expect(await answeredBy(id)).toBe('101');
    expect(tier.inboundSteps(id)).toEqual(['queue connector-round-robin']);
  });

  it.concurrent("an external number goes out through the connector's routing with the scenario department's trunks", async () => {
    const id = await tier.inboundCall('74950000011');
    await tier.ami.waitEvent('the forward answered', (e) => e.Event === 'DialEnd' && e.Linkedid === id && e.DialStatus === 'ANSWER' && /@connector-inbound-forward-/.test(e.DestChannel ?? ''));
    await tier.callGone(id);
    // The cheapest lab trunk of department 10 (a call on nobody's behalf would be refused: no trunk at all).
    expect(tier.attemptsOf(id).map((a) => a.trunk)).toEqual(['t1']);
    expect(tier.attemptsOf(id)[0]?.callerId).toMatch(/^7495123450[02]$|^74951234510$/);
    expect(failOpens(id)).toEqual([]);
  });

  it.concurrent('CRM: a call forwarded outside before any manager rang is registered TYPE 3 with the scenario\'s crmUser, finished answered', async () => {
    const id = await tier.inboundCall('74950000013', { caller: '79161230088' });
    await tier.ami.waitEvent('the forward answered', (e) => e.Event === 'DialEnd' && e.Linkedid === id && e.DialStatus === 'ANSWER' && /@connector-inbound-forward-/.test(e.DestChannel ?? ''));
    await tier.callGone(id);
    const call = await waitUntil(`register of ${id}`, () => [...tier.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === id));
    expect(call).toMatchObject({ TYPE: 3, USER_ID: '1', PHONE_NUMBER: '+79161230088', LINE_NUMBER: '+74950000013' });
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '1', STATUS_CODE: '200' });
  });

  it.concurrent('an external number that is busy: the scenario goes on to its next step', async () => {
    const id = await tier.inboundCall('74950000012');
    expect(await answeredBy(id)).toBe('100');
    expect(tier.attemptsOf(id).map((a) => a.trunk)).toEqual(['t1']);
    expect(tier.inboundSteps(id).map((s) => s.split(' ')[0])).toEqual(['forward', 'dial']);
  });

  it.concurrent('a SIP address is dialled as its dial string', async () => {
    const id = await tier.inboundCall('74950000008');
    expect(await answeredBy(id)).toBe('199');
    expect(tier.inboundSteps(id)).toEqual(['dial Local/199@phones']);
  });

  it.concurrent('a hang-up step ends the call after its prompt; nobody rings', async () => {
    const id = await tier.inboundCall('74950000009');
    await tier.callGone(id);
    expect(tier.phonesRung(id)).toEqual([]);
    expect(tier.inboundSteps(id).map((s) => s.split(' ')[0])).toEqual(['play', 'hangup']);
    expect(failOpens(id)).toEqual([]);
  });

  it.concurrent('a number bound to no scenario fails open to the default group', async () => {
    const id = await tier.inboundCall('74959999999');
    expect(await tier.phoneAnswered(id)).toBe('150');
    await tier.hangUp(id);
    await tier.callGone(id);
    expect(failOpens(id)).toEqual(['SUCCESS']);
  });

  it.concurrent('the connector unreachable at the first step: the default group answers', async () => {
    const id = await tier.inboundCall('74950000001', { vars: { CONNECTOR_INBOUND_AGI: `agi://127.0.0.1:${await freePort()}/inbound` } });
    expect(await tier.phoneAnswered(id)).toBe('150');
    await tier.hangUp(id);
    await tier.callGone(id);
    expect(failOpens(id)).toEqual(['FAILURE']);
    expect(tier.phonesRung(id)).toEqual(['150']);
  });

  it.concurrent('the connector gone in the middle of a scenario: the next step fails open, the call is not lost', async () => {
    const id = await tier.inboundCall('74950000010');
    // The connector answered the first step (play 4 s); while it plays, the connector becomes unreachable.
    const step = await tier.ami.waitEvent('the play step', (e) => e.UserEvent === 'ConnectorInboundStep' && e.Linkedid === id);
    await tier.ami.action({ Action: 'Setvar', Channel: step.Channel ?? '', Variable: 'CONNECTOR_INBOUND_AGI', Value: `agi://127.0.0.1:${await freePort()}/inbound` });
    expect(await tier.phoneAnswered(id)).toBe('150');
    await tier.hangUp(id);
    await tier.callGone(id);
    expect(failOpens(id)).toEqual(['FAILURE']);
  });

  it.concurrent('the caller hangs up while a group rings: the call ends cleanly, missed (304) for the manager it was ringing', async () => {
    const id = await tier.inboundCall('74950000002', { caller: '79161230078' });
    await tier.ami.waitEvent('the first member ringing', (e) => e.Event === 'DialBegin' && e.Linkedid === id);
    await tier.ami.action({ Action: 'Hangup', Channel: await callerChannel(id) });
    await tier.callGone(id);
    expect(tier.phonesRung(id)).toEqual(['200']);
    expect(failOpens(id)).toEqual([]);
    const call = await registeredInbound(id);
    const finished = await tier.finished(call.CALL_ID);
    expect(finished).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
    expect(Number(finished.DURATION)).toBe(0);
    expect(call.records).toEqual([]);
  });

  /** The CRM call the connector registered for this inbound call (EXTERNAL_CALL_ID = its Linkedid). */
  function registeredInbound(linkedid: string): Promise<DoubleCall> {
    return waitUntil(`register of ${linkedid}`, () => [...tier.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === linkedid));
  }

  /** USER_ID of each show or hide of this CRM call, in order. */
  function cards(method: 'show' | 'hide', crmCallId: string): string[][] {
    return tier.bitrix24.callsOf(`telephony.externalcall.${method}`).filter((r) => r.params.CALL_ID === crmCallId)
      // Form-encoded USER_ID[0]=…&USER_ID[1]=… arrives as an object keyed by index.
      .map((r) => (typeof r.params.USER_ID === 'object' && r.params.USER_ID !== null ? Object.values(r.params.USER_ID) : [r.params.USER_ID]).map(String));
  }

  it.concurrent('CRM: registered TYPE 2 on its line; the card follows the ringing phone through an ordered group; finished with the answerer; recording attached', async () => {
    const id = await tier.inboundCall('74950000002', { caller: '79161230077' });
    expect(await tier.phoneAnswered(id)).toBe('101');
    const call = await registeredInbound(id);
    expect(call).toMatchObject({ TYPE: 2, USER_ID: '4', PHONE_NUMBER: '+79161230077', LINE_NUMBER: '+74950000002' });
    // 200 (user 4) rang, then 300 (user 6), then 101 (user 2): each card shown as its phone rang, hidden as it stopped.
    await waitUntil('the last card shown', () => cards('show', call.CALL_ID).length === 3);
    expect(cards('show', call.CALL_ID)).toEqual([['4'], ['6'], ['2']]);
    expect(cards('hide', call.CALL_ID)).toEqual([['4'], ['6']]);
    await tier.hangUp(id);
    await tier.callGone(id);
    const finished = await tier.finished(call.CALL_ID);
    expect(finished).toMatchObject({ USER_ID: '2', STATUS_CODE: '200' });
    await tier.recordAttached(call.CALL_ID);
    expect(fs.existsSync(path.join(tier.monitorDir, `${id}-b.wav`))).toBe(true);
  });

  it.concurrent('CRM: a group rung all at once shows the card to all three; when one answers it leaves the other two, who get no missed call', async () => {
    const id = await tier.inboundCall('74950000001', { caller: '79161230079' });
    expect(await tier.phoneAnswered(id)).toBe('100');
    const call = await registeredInbound(id);
    await waitUntil('the card shown', () => cards('show', call.CALL_ID).length === 1);
    expect(cards('show', call.CALL_ID).flat().sort()).toEqual(['1', '4', '5']);
    await waitUntil('the card hidden from the others', () => cards('hide', call.CALL_ID).length === 1);
    expect(cards('hide', call.CALL_ID)[0]?.sort()).toEqual(['4', '5']);
    await tier.hangUp(id);
    await tier.callGone(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '1', STATUS_CODE: '200' });
    expect(tier.bitrix24.callsOf('telephony.externalcall.finish').filter((r) => r.params.CALL_ID === call.CALL_ID)).toHaveLength(1);
  });

  it.concurrent('CRM: a call from an excluded number is answered but never written, nor recorded', async () => {
    const id = await tier.inboundCall('74950000001', { caller: '74950001122' });
    expect(await tier.phoneAnswered(id)).toBe('100');
    await tier.hangUp(id);
    await tier.callGone(id);
    const other = await tier.inboundCall('74950000008', { caller: '79161230080' });
    expect(await tier.phoneAnswered(other)).toBe('199');
    await tier.hangUp(other);
    await tier.callGone(other);
    // The second call (no user rings a SIP address: nothing registered either) ended after the first: nothing came of the first.
    await tier.connector.waitLog('the second call reported', (l) => l.msg === 'inbound: the call rang no manager: not registered in the CRM' && l.linkedid === other);
    expect([...tier.bitrix24.state.calls.values()].filter((c) => c.PHONE_NUMBER === '+74950001122')).toEqual([]);
    // The scenario's channel is the Originate's other half (`<id>-b`): its recording would be <id>-b.wav.
    expect(fs.existsSync(path.join(tier.monitorDir, `${id}-b.wav`))).toBe(false);
  });

  async function callerChannel(linkedid: string): Promise<string> {
    const c = (await tier.ami.channels()).find((ch) => ch.Uniqueid === linkedid);
    return c?.Channel ?? '';
  }
});
