import type { AmiField } from '../../adapters/asterisk/ami/codec.ts';
import { parseCallerId, splitChannel, STATE, type Channel } from './channel.ts';
import { emitCallerCdrs, runConnectorOutbound } from './connector-dialplan.ts';
import type { PbxEngine } from './engine.ts';
import type { PhoneScript } from './scripts.ts';

/** Channel technologies the double can create; anything else fails like a missing channel driver. */
export const KNOWN_TECHS = new Set(['local', 'pjsip', 'sip', 'iax2', 'dahdi']);

export interface OriginateParams {
  readonly channel: string;
  readonly context?: string;
  readonly exten?: string;
  readonly priority?: string;
  readonly application?: string;
  readonly data?: string;
  readonly timeoutMs: number;
  readonly callerId?: string;
  readonly variables: readonly (readonly [string, string])[];
  readonly channelId?: string;
  readonly otherChannelId?: string;
  readonly account?: string;
}

export interface OriginateOutcome {
  readonly response: 'Success' | 'Failure';
  readonly reason: number;
}

/** Called with the OriginateResponse body (after Event/Privilege/ActionID) when the manager's leg is decided. */
export type OriginateReporter = (outcome: OriginateOutcome, body: AmiField[]) => void;

/** The extension a phone script is looked up by: `Local/100@phones` → 100, `PJSIP/100` → 100. */
export function phoneExtension(channel: string): string {
  const parts = splitChannel(channel);
  const resource = parts?.resource ?? channel;
  return resource.split(/[@/]/)[0] ?? resource;
}

/**
 * Plays an Originate as Asterisk 22 does for the connector's click-to-call: create the manager's
 * channel, ring the manager's phone (per its script), report OriginateResponse, then run the
 * `connector-outbound` dialplan on that channel. Resolves when every channel of the call is gone.
 */
export async function playOriginate(pbx: PbxEngine, p: OriginateParams, phone: PhoneScript, report: OriginateReporter): Promise<void> {
  const cid = parseCallerId(p.callerId);
  const target: AmiField[] = p.application !== undefined ? [['Application', p.application], ['Data', p.data ?? '']] : [['Context', p.context ?? ''], ['Exten', p.exten ?? '']];
  const fail = (reason: number, channel: string, uniqueid: string): void =>
    report({ response: 'Failure', reason }, [
      ['Response', 'Failure'],
      ['Channel', channel],
      ...target,
      ['Reason', String(reason)],
      ['Uniqueid', uniqueid],
      ['CallerIDNum', cid.num === '' ? '<unknown>' : cid.num],
      ['CallerIDName', cid.name === '' ? '<unknown>' : cid.name],
    ]);

  const parts = splitChannel(p.channel);
  const inUse = (id: string | undefined): boolean => id !== undefined && pbx.channels.has(id);
  if (!parts || !KNOWN_TECHS.has(parts.tech.toLowerCase()) || inUse(p.channelId) || inUse(p.otherChannelId)) {
    await pbx.clock.sleep(0);
    fail(0, p.channel, p.channelId ?? '<unknown>');
    return;
  }

  // --- the manager's leg ---
  let ch: Channel;
  let phoneSide: Channel | undefined;
  if (parts.tech.toLowerCase() === 'local') {
    [ch, phoneSide] = pbx.createLocalPair(parts.resource, undefined, { one: p.channelId, two: p.otherChannelId });
    pbx.newexten(ch, 'AppDial2', '(Outgoing Line)');
  } else {
    const endpoint = parts.resource.split(/[@/]/)[0] ?? parts.resource;
    const uid = p.channelId ?? pbx.ids.uniqueid();
    ch = pbx.create({ name: `${parts.tech}/${endpoint}-${pbx.ids.nameSuffix()}`, tech: parts.tech, state: STATE.Down, context: p.context ?? 'default', exten: p.exten ?? 's', uniqueid: uid });
  }
  if (p.account !== undefined) ch.accountCode = p.account;
  for (const [k, v] of [...p.variables].reverse()) pbx.setVar(ch, k, v);
  pbx.setCallerId(ch, cid.num, cid.name);
  pbx.setConnectedLine(ch, cid.num, cid.name);
  if (phoneSide) {
    for (const [k, v] of p.variables) pbx.setVar(phoneSide, k, v);
    pbx.setCallerId(phoneSide, cid.num, cid.name);
    pbx.setConnectedLine(phoneSide, cid.num, cid.name);
    pbx.localBridge(ch, phoneSide);
  }
  pbx.dialEvent('DialBegin', undefined, ch, [['DialString', parts.resource]]);

  const ringing = async (ms: number): Promise<void> => {
    if (phoneSide) pbx.newexten(phoneSide, 'Ringing', '');
    pbx.setState(ch, STATE.Ringing);
    if (phoneSide) pbx.newexten(phoneSide, 'Wait', String(Math.ceil(p.timeoutMs / 1000)), 2);
    pbx.dialEvent('DialState', undefined, ch, [['DialStatus', 'RINGING']]);
    await pbx.clock.sleep(ms);
  };
  const phoneNeverAnswers = async (ringMs: number): Promise<void> => {
    await ringing(ringMs);
    if (phoneSide) {
      pbx.hangupRequest(phoneSide, 19);
      pbx.cdr({ ch: phoneSide, source: cid.num, destination: phoneSide.exten, destinationContext: phoneSide.context, destinationChannel: '', lastApplication: 'Wait', lastData: '30', durationMs: ringMs, billableMs: 0, answered: false, disposition: 'NO ANSWER' });
      pbx.softHangupRequest(phoneSide, 16);
    }
    fail(3, p.channel, ch.uniqueid);
    pbx.cdr({ ch, source: cid.num, destination: ch.exten, destinationContext: ch.context, destinationChannel: '', lastApplication: 'AppDial2', lastData: '(Outgoing Line)', durationMs: ringMs, billableMs: 0, answered: false, disposition: 'NO ANSWER' });
    pbx.hangup(ch, 19);
    if (phoneSide) pbx.hangup(phoneSide, 19);
  };

  if (phone.kind === 'noanswer' || (phone.kind === 'answer' && (phone.afterMs ?? 0) >= p.timeoutMs)) {
    await phoneNeverAnswers(p.timeoutMs);
    return;
  }
  if (phone.kind === 'busy') {
    if (phoneSide) {
      pbx.newexten(phoneSide, 'Busy', '');
      pbx.setState(phoneSide, STATE.Busy);
    }
    pbx.dialEvent('DialEnd', undefined, ch, [['DialStatus', 'BUSY']]);
    fail(5, p.channel, ch.uniqueid);
    pbx.hangup(ch, 17);
    if (phoneSide) pbx.hangup(phoneSide, 17);
    return;
  }
  if ((phone.afterMs ?? 0) > 0) await ringing(phone.afterMs ?? 0);
  if (phoneSide) {
    pbx.newexten(phoneSide, 'Answer', '');
    pbx.setState(phoneSide, STATE.Up);
  }
  pbx.setState(ch, STATE.Up);
  pbx.dialEvent('DialEnd', undefined, ch, [['DialStatus', 'ANSWER']]);
  report({ response: 'Success', reason: 4 }, [
    ['Response', 'Success'],
    ['Channel', ch.name],
    ...target,
    ['Reason', '4'],
    ['Uniqueid', ch.uniqueid],
    ['CallerIDNum', cid.num === '' ? '<unknown>' : cid.num],
    ['CallerIDName', cid.name === '' ? '<unknown>' : cid.name],
  ]);

  if (p.application !== undefined) {
    // Originate into an application: the double only knows the connector's dialplan; hang up.
    hangUpCaller(pbx, ch, phoneSide, 16, true, 'Hangup');
    return;
  }
  const ended = await runConnectorOutbound(pbx, ch, p.exten ?? '');
  if (pbx.clock.isClosed) return;
  hangUpCaller(pbx, ch, phoneSide, ended.hangupCause, true, ended.lastApplication);
}

/** The end of a call on the caller's side, in the order of the captures. */
export function hangUpCaller(pbx: PbxEngine, ch: Channel, phoneSide: Channel | undefined, cause: number, answered: boolean, lastApplication: string): void {
  if (lastApplication !== 'Dial') pbx.softHangupRequest(ch, 16);
  if (phoneSide) pbx.hangupRequest(phoneSide, cause);
  pbx.hangup(ch, cause);
  emitCallerCdrs(pbx, ch, { hangupCause: cause, lastApplication }, answered);
  if (phoneSide) {
    pbx.softHangupRequest(phoneSide, 16);
    pbx.cdr({ ch: phoneSide, source: phoneSide.callerNum, destination: phoneSide.exten, destinationContext: phoneSide.context, destinationChannel: '', lastApplication: 'Wait', lastData: '120', durationMs: 0, billableMs: 0, answered: true, disposition: 'ANSWERED' });
    pbx.hangup(phoneSide, cause);
  }
}

/**
 * A call dialled on a desk phone (ami-11): the phone's channel (`PJSIP/<ext>-…`, state Ring, caller
 * number = the extension) enters `connector-outbound` with the number as its extension.
 */
export async function playDeskCall(pbx: PbxEngine, extension: string, number: string, tech: string, onChannel: (ch: Channel) => void): Promise<void> {
  const ch = pbx.create({ name: `${tech}/${extension}-${pbx.ids.nameSuffix()}`, tech, state: STATE.Ring, context: 'from-internal', exten: number, uniqueid: pbx.ids.uniqueid() });
  onChannel(ch);
  pbx.setCallerId(ch, extension, extension);
  const ended = await runConnectorOutbound(pbx, ch, number);
  if (pbx.clock.isClosed) return;
  hangUpCaller(pbx, ch, undefined, ended.hangupCause, false, ended.lastApplication);
}
