import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/adapters/db/connection.ts';
import { labNumber, PbxTier, TIER_START_MS } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';
import type { LabEvent } from './lab-ami.ts';
import { cdrCsv, longAnswers, transferFeatures } from './lab-etc.ts';

/** The connector's own rows (its SQLite file), read beside the running process. */
async function rows(tier: PbxTier): Promise<{ calls: { id: string; number: string }[]; tracking: { linkedid: string; state: string }[] }> {
  const db = openDb({ url: path.join(tier.dir, 'connector.sqlite') });
  try {
    return { calls: await db('calls').select('id', 'number'), tracking: await db('call_tracking').select('linkedid', 'state') };
  } finally {
    await db.destroy();
  }
}

/** Polls the connector's rows until the answer of the call is written (its in-flight state). */
async function answerStored(tier: PbxTier): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await rows(tier)).tracking.some((r) => r.state.includes('"dialEnd":"ANSWER"'))) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the connector to store the answer');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The trunk leg of a call once answered (its DialEnd ANSWER, seen by the lab's AMI user). */
function answered(tier: PbxTier, linkedid: string): Promise<LabEvent> {
  return tier.ami.waitEvent(`the answer of ${linkedid}`, (e) => e.Event === 'DialEnd' && e.Linkedid === linkedid && e.DialStatus === 'ANSWER' && (e.DestChannel ?? '').includes('@lab-t'));
}

/** A desk-phone call answered, the connector SIGKILLed, the client hanging up meanwhile, the connector started again. */
async function endedWhileKilled(tier: PbxTier, number: string): Promise<{ readonly linkedid: string; readonly finish: Awaited<ReturnType<PbxTier['finished']>> }> {
  const linkedid = await tier.deskCall(number);
  const answer = await answered(tier, linkedid);
  await answerStored(tier);
  tier.connector.kill('SIGKILL');
  await hangup(tier, answer.DestChannel ?? '');
  await tier.callGone(linkedid);
  await tier.connector.start();
  const call = await tier.registered(number);
  return { linkedid, finish: await tier.finished(call.CALL_ID) };
}

async function hangup(tier: PbxTier, channel: string): Promise<void> {
  const [res] = await tier.ami.action({ Action: 'Hangup', Channel: channel });
  if (res?.Response !== 'Success') throw new Error(`Hangup ${channel}: ${JSON.stringify(res)}`);
}

/**
 * A desk-phone call to a busy trunk, finished by the connector: AMI events reach the connector in
 * order, so once it is finished every event before it was taken in.
 */
/** The client hangs up: the call is registered once and finished 200 with the client leg's real talk time. */
async function clientHangsUpOneRecord(tier: PbxTier, client: string, linkedid: string, number: string): Promise<void> {
  await hangup(tier, client);
  await tier.callGone(linkedid);
  const call = await tier.registered(number);
  const finish = await tier.finished(call.CALL_ID);
  expect(finish.STATUS_CODE).toBe('200');
  expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
  expect(tier.registeredFor(number)).toHaveLength(1);
}

async function marker(tier: PbxTier, scenario: number): Promise<void> {
  const number = labNumber(scenario, ['busy']);
  const linkedid = await tier.deskCall(number);
  await tier.callGone(linkedid);
  const call = await tier.registered(number);
  expect((await tier.finished(call.CALL_ID)).STATUS_CODE).toBe('486');
}

describe.skipIf(!hasLab)(`real Asterisk: the tracker follows what the connector has business with${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  beforeAll(async () => { tier = await PbxTier.start({ etc: (dir) => { longAnswers(dir); transferFeatures(dir); } }); }, TIER_START_MS);
  afterAll(async () => { await tier?.stop(); });

  it('an inbound call and an internal call dialled through the connector context: no rows, no CRM writes', async () => {
    // Inbound: a call from outside rings phone 101, which answers; the caller hangs up after 1 s.
    const [res] = await tier.ami.action({ Action: 'Originate', Channel: 'Local/101@phones', Application: 'Wait', Data: '1', Async: 'true', ChannelId: 'inbound-1', OtherChannelId: 'inbound-1-b' });
    expect(res?.Response).toBe('Success');
    // Internal: desk phone 100 dials 101 (connector-outbound sends it to connector-internal); 101 answers, 100 hangs up.
    const internal = await tier.deskCall('101');
    await tier.ami.waitEvent('101 answering the internal call', (e) => e.Event === 'DialEnd' && e.Linkedid === internal && e.DialStatus === 'ANSWER');
    await hangup(tier, (await tier.ami.waitEvent('the handset', (e) => e.Event === 'Newchannel' && e.Uniqueid === internal)).Channel ?? '');
    await tier.callGone('inbound-1');
    await tier.callGone(internal);
    await marker(tier, 80);
    const crm = [...tier.bitrix24.state.calls.values()];
    expect(crm.map((c) => c.PHONE_NUMBER)).toEqual([labNumber(80, ['busy'])]);
    const stored = await rows(tier);
    expect(stored.calls.map((c) => c.number)).toEqual([labNumber(80, ['busy']).slice(1)].map((n) => expect.stringContaining(n)));
    expect(stored.tracking).toEqual([]);
  });

  it('a blind transfer after answer: one record, closed when the client and the transfer target hang up, talk time of the client leg', async () => {
    const number = labNumber(81, ['answer']);
    const linkedid = await tier.deskCall(number);
    const answer = await answered(tier, linkedid);
    const client = answer.DestChannel ?? '';
    // A transfer needs the manager's channel in the bridge, which it enters just after the answer.
    await tier.ami.waitEvent('the manager\'s side in the bridge', (e) => e.Event === 'BridgeEnter' && e.Channel === answer.Channel);
    // The manager's phone transfers the client to extension 101, which answers; the manager's side hangs up.
    const [res] = await tier.ami.action({ Action: 'BlindTransfer', Channel: answer.Channel ?? '', Context: 'lab-phones', Exten: '101' });
    expect(res?.Response).toBe('Success');
    await tier.ami.waitEvent('101 answering the transferred client', (e) => e.Event === 'DialEnd' && e.Linkedid === linkedid && e.DialStatus === 'ANSWER' && (e.DestChannel ?? '').includes('@lab-internal'));
    // Desk-phone calls are written to the CRM when they end: nothing yet.
    await marker(tier, 82);
    expect(tier.registeredFor(number)).toEqual([]);

    await clientHangsUpOneRecord(tier, client, linkedid, number);
  });

  it('an attended transfer from the keypad (*2 101): the manager consults 101, hangs up, the client talks to 101; one record, closed at the real end', async () => {
    const number = labNumber(87, ['answer']);
    // The site lets its desk phones transfer (BRIDGE_FEATURES=T: the caller's side of the Dial may).
    const linkedid = await tier.deskCall(number, { BRIDGE_FEATURES: 'T' });
    const answer = await answered(tier, linkedid);
    const client = answer.DestChannel ?? '';
    await tier.ami.waitEvent('the manager\'s side in the bridge', (e) => e.Event === 'BridgeEnter' && e.Channel === answer.Channel);
    // The manager's phone presses *2 and dials 101 (AMI Atxfer queues those keys on its channel).
    const [res] = await tier.ami.action({ Action: 'Atxfer', Channel: answer.Channel ?? '', Context: 'lab-phones', Exten: '101' });
    expect(res?.Response).toBe('Success');
    // The consultation call (it carries the transferer's Linkedid from the start): 101 answers,
    // talking to the manager while the client waits.
    await tier.ami.waitEvent('101 answering the consultation', (e) => e.Event === 'Newstate' && e.Linkedid === linkedid && e.ChannelStateDesc === 'Up' && (e.Channel ?? '').startsWith('Local/101@lab-internal'), 20_000);
    await marker(tier, 88);
    expect(tier.registeredFor(number)).toEqual([]);

    // The manager puts the handset down: Asterisk completes the transfer (client and 101 bridged).
    const handset = await tier.ami.waitEvent('the handset', (e) => e.Event === 'Newchannel' && e.Uniqueid === linkedid);
    await hangup(tier, handset.Channel ?? '');
    const transfer = await tier.ami.waitEvent('the attended transfer', (e) => e.Event === 'AttendedTransfer' && e.OrigTransfererChannel === answer.Channel);
    expect(transfer.Result).toBe('Success');
    await tier.ami.waitEvent('the client bridged with 101', (e) => e.Event === 'BridgeEnter' && e.BridgeUniqueid === transfer.OrigBridgeUniqueid && e.Channel !== client && e.Channel !== answer.Channel);
    await marker(tier, 89);
    expect(tier.registeredFor(number)).toEqual([]);

    await clientHangsUpOneRecord(tier, client, linkedid, number);
    expect((await tier.ami.channels()).filter((c) => c.Linkedid === linkedid)).toEqual([]);
  });

  it('an attended transfer to a client from an internal call (*2 8XXXXXXXXXX): the consultation is routed and carries the internal call\'s Linkedid; one record for the client, closed at the real end', async () => {
    // 100 talks to 102 (an internal call: no business of the connector's).
    const internal = await tier.deskCall('102', { BRIDGE_FEATURES: 'T' });
    const colleague = await tier.ami.waitEvent('102 answering', (e) => e.Event === 'DialEnd' && e.Linkedid === internal && e.DialStatus === 'ANSWER');
    await tier.ami.waitEvent('the manager\'s side in the bridge', (e) => e.Event === 'BridgeEnter' && e.Channel === colleague.Channel);
    // The manager presses *2 and dials the client as desk phones do (8 and ten digits).
    const number = labNumber(75, ['answer']);
    const [res] = await tier.ami.action({ Action: 'Atxfer', Channel: colleague.Channel ?? '', Context: 'lab-phones', Exten: `8${number.slice(2)}` });
    expect(res?.Response).toBe('Success');
    const client = await tier.ami.waitEvent('the client answering the consultation', (e) => e.Event === 'DialEnd' && e.Linkedid === internal && e.DialStatus === 'ANSWER' && (e.DestChannel ?? '').includes('@lab-t'), 20_000);
    expect(tier.attemptsOf(internal).filter((a) => a.trunk !== 'internal')).toEqual([{ trunk: 't1', exten: number.slice(1), callerId: '74951234510' }]);

    // The manager hangs up: 102 and the client are put through.
    const handset = await tier.ami.waitEvent('the handset', (e) => e.Event === 'Newchannel' && e.Uniqueid === internal);
    await hangup(tier, handset.Channel ?? '');
    const transfer = await tier.ami.waitEvent('the attended transfer', (e) => e.Event === 'AttendedTransfer' && e.OrigTransfererChannel === colleague.Channel);
    expect(transfer.Result).toBe('Success');
    await marker(tier, 76);
    expect(tier.registeredFor(number)).toEqual([]);

    await hangup(tier, client.DestChannel ?? '');
    await tier.callGone(internal);
    const call = await tier.registered(number);
    const finish = await tier.finished(call.CALL_ID);
    expect(finish.STATUS_CODE).toBe('200');
    const end = tier.ami.events.find((e) => e.Event === 'Hangup' && e.Uniqueid === client.DestUniqueid);
    expect(Math.abs(Number(finish.DURATION) - (Number(end?.Timestamp) - Number(client.Timestamp)))).toBeLessThanOrEqual(1);
    expect(tier.registeredFor(number)).toHaveLength(1);
    // The internal call around it is written nowhere.
    expect(tier.registeredFor('102')).toEqual([]);
    expect((await tier.ami.channels()).filter((c) => c.Linkedid === internal)).toEqual([]);
  });

  // A SIP phone's attended transfer (REFER with Replaces) joins two calls with their own Linkedids,
  // and joining a bridge rewrites both to the older one. Only channel drivers start that kind of
  // transfer (ast_bridge_transfer_attended: res_pjsip_refer, chan_dahdi, sig_pri); the lab has none,
  // and its keypad transfer (above) gives the consultation call the transferer's Linkedid from the
  // start. AMI Bridge joins the two calls the same way, so the rewrite is the real server's.
  it('the client bridged into an older internal call (what a SIP phone\'s attended transfer does to Linkedids): the Linkedid is rewritten, the record stays one and closes at the real end', async () => {
    // 102 is on an internal call that started first: its Linkedid is the older one.
    const older = `int-${Date.now()}`;
    await tier.ami.action({ Action: 'Originate', Channel: 'Local/102@phones', Application: 'Wait', Data: '120', Async: 'true', ChannelId: older, OtherChannelId: `${older}-b` });
    await tier.ami.waitEvent('the internal call up', (e) => e.Event === 'OriginateResponse' && e.Uniqueid === older && e.Response === 'Success');
    const internal = await tier.ami.waitEvent('its channel', (e) => e.Event === 'Newchannel' && e.Uniqueid === older);
    const number = labNumber(83, ['answer']);
    const linkedid = await tier.deskCall(number);
    const answer = await answered(tier, linkedid);
    const client = answer.DestChannel ?? '';
    const [res] = await tier.ami.action({ Action: 'Bridge', Channel1: client, Channel2: internal.Channel ?? '', Tone: 'no' });
    expect(res?.Response).toBe('Success');
    await tier.ami.waitEvent('the internal call joining the client', (e) => e.Event === 'BridgeEnter' && e.Uniqueid === older);
    await marker(tier, 84);
    expect(tier.registeredFor(number)).toEqual([]);

    // The client hangs up, then 102 (left alone on the internal side).
    await hangup(tier, client);
    await tier.ami.waitEvent('the client\'s hang-up', (e) => e.Event === 'Hangup' && e.Channel === client);
    await hangup(tier, internal.Channel ?? '');
    await tier.callGone(older);
    const call = await tier.registered(number);
    const finish = await tier.finished(call.CALL_ID);
    expect(finish.STATUS_CODE).toBe('200');
    const leg = tier.ami.events.find((e) => e.Event === 'Hangup' && e.Channel === client);
    // Bridging rewrote the client's Linkedid to the older call's (ast_bridge_channel_update_linkedids).
    expect(leg?.Linkedid).toBe(older);
    expect(Math.abs(Number(finish.DURATION) - (Number(leg?.Timestamp) - Number(answer.Timestamp)))).toBeLessThanOrEqual(1);
    expect(tier.registeredFor(number)).toHaveLength(1);
  });

  it('the connector SIGKILLed mid-call and restarted after it ended, no CDR configured: finished saying the talk time is unknown', async () => {
    const { finish } = await endedWhileKilled(tier, labNumber(85, ['answer']));
    expect(finish).toMatchObject({ STATUS_CODE: '200', DURATION: 0, FAILED_REASON: expect.stringContaining('talk time unknown') });
  });
});

describe.skipIf(!hasLab)(`real Asterisk: talk time from the PBX's CDRs after an outage${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    tier = await PbxTier.start({
      env,
      etc: (dir) => {
        longAnswers(dir);
        env.CDR_CSV_PATH = cdrCsv(dir);
      },
    });
  }, TIER_START_MS);
  afterAll(async () => { await tier?.stop(); });

  it('the connector SIGKILLed mid-call and restarted after it ended: DURATION is the real talk time, not the outage', async () => {
    const { finish, linkedid } = await endedWhileKilled(tier, labNumber(86, ['answer']));
    expect(finish.STATUS_CODE).toBe('200');
    expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
    expect(finish.FAILED_REASON ?? '').toBe('');
  });
});
