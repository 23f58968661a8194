import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNumber, PbxTier, TIER_START_MS } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';
import type { LabEvent } from './lab-ami.ts';
import { parseCdrCsvLine } from '../../src/adapters/asterisk/cdr/csv-records.ts';
import { cdrCsv, longAnswers } from './lab-etc.ts';

/**
 * The whole Asterisk process going away in the middle of calls and coming back (about a second
 * later): the PBX loses the calls it had, the connector logs in again by itself, closes the calls
 * the PBX no longer has (its channel list after the reconnect), takes their talk time from the
 * PBX's stored CDRs where there is one and says it is unknown where there is none (DECISIONS §31),
 * and routes new calls as before.
 */
describe.skipIf(!hasLab)(`real Asterisk: the PBX restarted in the middle of calls${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  let masterCsv = '';
  const env: Record<string, string> = {};
  beforeAll(async () => {
    tier = await PbxTier.start({
      env,
      etc: (dir) => {
        longAnswers(dir);
        masterCsv = cdrCsv(dir);
        env.CDR_CSV_PATH = masterCsv;
      },
    });
  }, TIER_START_MS);
  afterAll(async () => { await tier?.stop(); });

  /** The trunk leg of a call once answered (its DialEnd ANSWER). */
  function answered(linkedid: string): Promise<LabEvent> {
    return tier.ami.waitEvent(`the answer of ${linkedid}`, (e) => e.Event === 'DialEnd' && e.Linkedid === linkedid && e.DialStatus === 'ANSWER' && (e.DestChannel ?? '').includes('@lab-t'));
  }

  /** The trunk leg of a call once ringing (the lab trunk that never answers has been reached). */
  function ringing(linkedid: string): Promise<LabEvent> {
    return tier.ami.waitEvent(`the ringing of ${linkedid}`, (e) => e.Event === 'UserEvent' && e.UserEvent === 'LabTrunk' && e.Linkedid === linkedid);
  }

  /**
   * Waits until the connector has taken in the events of these calls so far: a desk-phone call to
   * a busy trunk, finished by it (AMI delivers events in order on one connection).
   */
  async function caughtUp(scenario: number): Promise<void> {
    const number = labNumber(scenario, ['busy']);
    const linkedid = await tier.deskCall(number);
    await tier.callGone(linkedid);
    expect((await tier.finished((await tier.registered(number)).CALL_ID)).STATUS_CODE).toBe('486');
  }

  /** Lets `seconds` of the PBX's own time pass: a lab phone's call that hangs up after that long. */
  async function pbxSeconds(seconds: number): Promise<void> {
    const id = `clock-${Date.now()}`;
    const [res] = await tier.ami.action({ Action: 'Originate', Channel: 'Local/150@phones', Application: 'Wait', Data: String(seconds), Async: 'true', ChannelId: id, OtherChannelId: `${id}-b` });
    expect(res?.Response).toBe('Success');
    await tier.ami.waitEvent(`${seconds} s of the PBX's time`, (e) => e.Event === 'Hangup' && e.Uniqueid === id, seconds * 1000 + 15_000);
  }

  /** After the restart: a new call is routed and tracked as usual. */
  async function newCallRoutes(scenario: number): Promise<void> {
    const number = labNumber(scenario, ['congestion', 'busy']);
    const linkedid = await tier.deskCall(number);
    await tier.callGone(linkedid);
    const finish = await tier.finished((await tier.registered(number)).CALL_ID);
    expect(tier.attemptsOf(linkedid).map((a) => a.trunk)).toEqual(['t1', 't2']);
    expect(finish.STATUS_CODE).toBe('486');
  }

  it('Asterisk killed (SIGKILL) during an answered and a ringing call, started again: both finished once, no talk time invented, new calls route', async () => {
    const talking = labNumber(30, ['answer']);
    const talkingId = await tier.deskCall(talking);
    await answered(talkingId);
    await pbxSeconds(2);
    const waiting = labNumber(31, ['noanswer']);
    const waitingId = await tier.deskCall(waiting);
    await ringing(waitingId);
    await caughtUp(32);

    await tier.restartAsterisk('killed');

    const talked = await tier.finished((await tier.registered(talking)).CALL_ID);
    // Answered, but the PBX died with the call: it wrote no CDR, so the talk time is unknown.
    expect(talked).toMatchObject({ STATUS_CODE: '200', FAILED_REASON: expect.stringContaining('talk time unknown') });
    expect(Number(talked.DURATION)).toBe(0);
    expect(fs.existsSync(masterCsv) ? fs.readFileSync(masterCsv, 'utf8') : '').not.toContain(talkingId);
    const rang = await tier.finished((await tier.registered(waiting)).CALL_ID);
    // Ringing when the PBX died: whether it was answered after the last event seen is unknown.
    expect(rang).toMatchObject({ STATUS_CODE: 'OTHER', FAILED_REASON: expect.stringContaining('was not seen') });
    expect(Number(rang.DURATION ?? 0)).toBe(0);
    expect(tier.registeredFor(talking)).toHaveLength(1);
    expect(tier.registeredFor(waiting)).toHaveLength(1);
    expect(await tier.ami.channels()).toEqual([]);

    await newCallRoutes(33);
  });

  it('Asterisk stopped (SIGTERM: it hangs up every channel) during an answered call, started again: DURATION is the talk time the PBX recorded', async () => {
    const number = labNumber(40, ['answer']);
    const linkedid = await tier.deskCall(number);
    const answer = await answered(linkedid);
    await pbxSeconds(2);
    await caughtUp(41);

    await tier.restartAsterisk('stopped');

    const finish = await tier.finished((await tier.registered(number)).CALL_ID);
    expect(finish.STATUS_CODE).toBe('200');
    // Asterisk hung the call up as it stopped: its own CDR (and the Hangup, if it went out before the
    // connection closed) say how long the client talked; the outage itself is never counted.
    const cdr = fs.readFileSync(masterCsv, 'utf8').split('\n').map(parseCdrCsvLine).find((f) => f[16] === answer.Uniqueid && f[7] === 'Dial');
    expect(cdr?.[14]).toBe('ANSWERED');
    const billsec = Number(cdr?.[13]);
    expect(billsec).toBeGreaterThanOrEqual(2);
    expect(Math.abs(Number(finish.DURATION) - billsec)).toBeLessThanOrEqual(1);
    expect(tier.registeredFor(number)).toHaveLength(1);
    expect(await tier.ami.channels()).toEqual([]);

    await newCallRoutes(42);
  });
});
