import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoubleCall } from '../../src/doubles/bitrix24/portal-state.ts';
import { writeFaxPage } from './fax-page.ts';
import { PbxTier, TIER_START_MS, waitUntil } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';
import { writeTone } from './sounds.ts';

/**
 * Voicemail and fax steps on the real Asterisk with the shipped extensions_inbound.conf: a message
 * recorded and attached to the CRM call (missed), a fax sent by spandsp over a Local channel
 * received, converted to PDF and put on the client's timeline, the caller hanging up in each step,
 * and the connector stopped in the middle of a voicemail.
 */

// Lab users (rules/users.yaml): 1→100 answers, 4→200 rings and never answers, 5→201.
function inboundYaml(media: string): string {
  return `
phoneDial: Local/{extension}@phones
numbers:
  - { number: '+74950000101', scenario: vm }
  - { number: '+74950000102', scenario: vm-direct }
  - { number: '+74950000103', scenario: fax }
scenarios:
  - id: vm
    steps:
      - employee: 4
        ringTime: 2
      - voicemail: { prompt: ${path.join(media, 'vm-prompt')}, maxSeconds: 20 }
  - id: vm-direct
    steps:
      - voicemail: { prompt: ${path.join(media, 'vm-long')}, maxSeconds: 20, user: 5 }
  - id: fax
    steps: [{ fax: { user: 1 } }, hangup]
`;
}

/** The caller's side: speaks (a 2 s tone) and hangs up; or sends the test's fax page and hangs up. */
function callerDialplan(media: string): string {
  return [
    '[vm-speak]',
    `exten => s,1,Playback(${path.join(media, 'speech')})`,
    ' same => n,Hangup()',
    '[fax-sender]',
    'exten => s,1,Set(FAXOPT(ecm)=no)',
    ` same => n,SendFAX(${path.join(media, 'page.tif')},d)`,
    ' same => n,Hangup()',
    '',
  ].join('\n');
}

describe.skipIf(!hasLab)(`real Asterisk: voicemail and fax steps${LAB_SKIP_NOTE}`, () => {
  const media = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-messages-'));
  let tier: PbxTier;
  beforeAll(async () => {
    writeTone(media, 'vm-prompt', 0.3);
    writeTone(media, 'vm-long', 5);
    writeTone(media, 'speech', 2);
    writeFaxPage(path.join(media, 'page.tif'));
    tier = await PbxTier.start({
      rules: (dir) => fs.writeFileSync(path.join(dir, 'inbound.yaml'), inboundYaml(media)),
      extraDialplan: callerDialplan(media),
    });
  }, TIER_START_MS);
  afterAll(async () => {
    const left = await tier?.ami.channels() ?? [];
    await tier?.stop();
    fs.rmSync(media, { recursive: true, force: true });
    expect(left.map((c) => c.Channel)).toEqual([]);
  });

  /** A call whose caller side runs `context` (Local/DID@connector-inbound's other half). */
  async function callInto(did: string, caller: string, context = 'lab-caller'): Promise<string> {
    const id = `in-${crypto.randomBytes(6).toString('hex')}`;
    const [res] = await tier.ami.action({
      Action: 'Originate', Channel: `Local/${did}@connector-inbound`, Context: context, Exten: 's', Priority: '1', Async: 'true',
      CallerID: `"${caller}" <${caller}>`, Timeout: '120000', ChannelId: id, OtherChannelId: `${id}-b`, Variable: 'LAB_KEYS=',
    });
    if (res?.Response !== 'Success') throw new Error(`Originate failed: ${JSON.stringify(res)}`);
    return id;
  }

  async function callerChannel(linkedid: string): Promise<string> {
    return (await tier.ami.channels()).find((c) => c.Uniqueid === linkedid)?.Channel ?? '';
  }

  /** Waits until the scenario's side runs `application` (Record, ReceiveFAX, Playback of the prompt). */
  function running(linkedid: string, application: string): Promise<unknown> {
    return tier.ami.waitEvent(`${application} on ${linkedid}`, (e) => e.Event === 'Newexten' && e.Linkedid === linkedid && e.Application === application);
  }

  /** The caller speaks after the beep, then hangs up. */
  async function leaveMessage(linkedid: string): Promise<void> {
    await running(linkedid, 'Record');
    await tier.ami.action({ Action: 'Redirect', Channel: await callerChannel(linkedid), Context: 'vm-speak', Exten: 's', Priority: '1' });
  }

  function registeredInbound(linkedid: string): Promise<DoubleCall> {
    return waitUntil(`register of ${linkedid}`, () => [...tier.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === linkedid));
  }

  function failOpens(linkedid: string): string[] {
    return tier.eventsOf(linkedid).filter((e) => e.UserEvent === 'ConnectorInboundFailOpen').map((e) => e.AgiStatus ?? '');
  }

  it.concurrent('voicemail: nobody answers, the caller leaves a message, it is attached to the CRM call, which is missed', async () => {
    const id = await callInto('74950000101', '79161230101');
    await leaveMessage(id);
    await tier.callGone(id);
    expect(tier.phonesRung(id)).toEqual(['200']);
    expect(tier.inboundSteps(id).map((s) => s.split(' ')[0])).toEqual(['dial', 'voicemail']);
    const call = await registeredInbound(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '4', STATUS_CODE: '304' });
    await tier.recordAttached(call.CALL_ID);
    const [record] = tier.bitrix24.state.calls.get(call.CALL_ID)?.records ?? [];
    expect(record?.FILENAME).toBe(`${id}-b-voicemail.wav`);
    // The signed link serves the message the caller spoke (2 s of 8 kHz 16-bit audio, give or take the edges).
    const served = await fetch(record?.url ?? '');
    expect(served.status).toBe(200);
    expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(16_000);
    expect(failOpens(id)).toEqual([]);
  });

  it.concurrent('voicemail: the caller hangs up during the prompt; missed for the step\'s user, nothing recorded', async () => {
    const id = await callInto('74950000102', '79161230102');
    await running(id, 'Playback');
    await tier.ami.action({ Action: 'Hangup', Channel: await callerChannel(id) });
    await tier.callGone(id);
    const call = await registeredInbound(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '5', STATUS_CODE: '304' });
    expect(fs.existsSync(path.join(tier.monitorDir, `${id}-b-voicemail.wav`))).toBe(false);
    expect(call.records).toEqual([]);
  });

  it.concurrent('voicemail: the caller hangs up at the beep; missed, and no empty message attached', async () => {
    const id = await callInto('74950000102', '79161230107');
    await running(id, 'Record');
    await tier.ami.action({ Action: 'Hangup', Channel: await callerChannel(id) });
    await tier.callGone(id);
    await tier.connector.waitLog('the empty voicemail', (l) => String(l.msg).startsWith('inbound: an empty voicemail') && l.linkedid === id);
    const call = await registeredInbound(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '5', STATUS_CODE: '304' });
    expect(tier.bitrix24.state.calls.get(call.CALL_ID)?.records).toEqual([]);
  });

  it.concurrent('fax: received, kept as TIFF, converted to PDF and put on the client\'s timeline; the call is finished as done', async () => {
    tier.bitrix24.state.crmEntities.set('79161230103', [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 4103, ASSIGNED_BY_ID: 1, NAME: 'Fax client' }]);
    const id = await callInto('74950000103', '79161230103', 'fax-sender');
    // The scenario hangs up after the fax: the sender's side ends with it.
    await tier.callGone(id, 90_000);
    const call = await registeredInbound(id);
    expect(call.USER_ID).toBe('1');
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '1', STATUS_CODE: '200' });
    const comment = await waitUntil('the fax on the timeline', () => tier.bitrix24.state.timeline.find((c) => c.ENTITY_ID === '4103'));
    expect(comment).toMatchObject({ ENTITY_TYPE: 'contact', COMMENT: 'Fax from +79161230103, 1 page(s)' });
    expect(comment.files.map((f) => f.name)).toEqual([`${id}-b-fax.pdf`]);
    expect(comment.files[0]?.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(fs.existsSync(path.join(tier.monitorDir, `${id}-b-fax.tif`))).toBe(true);
    expect(failOpens(id)).toEqual([]);
  }, 120_000);

  it.concurrent('fax: the sender hangs up before any page; missed for the step\'s user, nothing on the timeline', async () => {
    tier.bitrix24.state.crmEntities.set('79161230104', [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 4104, ASSIGNED_BY_ID: 1, NAME: 'Fax client' }]);
    const id = await callInto('74950000103', '79161230104', 'fax-sender');
    await running(id, 'ReceiveFAX');
    await tier.ami.action({ Action: 'Hangup', Channel: await callerChannel(id) });
    await tier.callGone(id);
    const call = await registeredInbound(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '1', STATUS_CODE: '304' });
    expect(tier.bitrix24.state.timeline.filter((c) => c.ENTITY_ID === '4104')).toEqual([]);
  });

  it.concurrent('voicemail: an excluded caller is never recorded; the step is passed over and nothing is written', async () => {
    const id = await callInto('74950000102', '74950001122');
    await tier.callGone(id);
    expect(tier.inboundSteps(id).map((s) => s.split(' ')[0])).toEqual(['voicemail', 'hangup']);
    expect(tier.eventsOf(id).some((e) => e.Event === 'Newexten' && e.Application === 'Record')).toBe(false);
    expect(fs.existsSync(path.join(tier.monitorDir, `${id}-b-voicemail.wav`))).toBe(false);
    expect([...tier.bitrix24.state.calls.values()].filter((c) => c.PHONE_NUMBER === '+74950001122')).toEqual([]);
    expect(failOpens(id)).toEqual([]);
  });

  // Last and alone: it stops the connector the other calls need.
  it('the connector stopped and started again while the caller records: the voicemail is still attached', async () => {
    const id = await callInto('74950000102', '79161230105');
    await running(id, 'Record');
    await tier.connector.stop();
    await tier.connector.start();
    await tier.connector.waitLog('AMI connected', (l) => l.msg === 'AMI connected');
    await tier.ami.action({ Action: 'Redirect', Channel: await callerChannel(id), Context: 'vm-speak', Exten: 's', Priority: '1' });
    await tier.callGone(id);
    const call = await registeredInbound(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '5', STATUS_CODE: '304' });
    await tier.recordAttached(call.CALL_ID);
    expect(tier.bitrix24.state.calls.get(call.CALL_ID)?.records[0]?.FILENAME).toBe(`${id}-b-voicemail.wav`);
  }, 60_000);

  it('the connector stopped and started again while a fax arrives: the fax is still linked', async () => {
    tier.bitrix24.state.crmEntities.set('79161230106', [{ CRM_ENTITY_TYPE: 'LEAD', CRM_ENTITY_ID: 4106, ASSIGNED_BY_ID: 1, NAME: 'Fax lead' }]);
    const id = await callInto('74950000103', '79161230106', 'fax-sender');
    await running(id, 'ReceiveFAX');
    await tier.connector.stop();
    await tier.connector.start();
    await tier.callGone(id, 90_000);
    const comment = await waitUntil('the fax on the timeline', () => tier.bitrix24.state.timeline.find((c) => c.ENTITY_ID === '4106'));
    expect(comment).toMatchObject({ ENTITY_TYPE: 'lead', COMMENT: 'Fax from +79161230106, 1 page(s)' });
    expect(comment.files[0]?.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const call = await registeredInbound(id);
    expect(await tier.finished(call.CALL_ID)).toMatchObject({ USER_ID: '1', STATUS_CODE: '200' });
  }, 120_000);
});
