import { dialEndStatusForCause, dialStatusVariableForCause } from './causes.ts';
import { splitChannel, STATE, type Channel } from './channel.ts';
import type { PbxEngine } from './engine.ts';
import type { TrunkOutcome } from './scripts.ts';

export interface DialResult {
  /** The DIALSTATUS variable after Dial. */
  readonly status: string;
  /** ${HANGUPCAUSE} after Dial: the dialled channel's hangup cause (0 for a Local busy/no answer). */
  readonly cause: number;
  /** The callee answered: the call was bridged and is over when Dial returns. */
  readonly answered: boolean;
}

const DIAL_VARS = ['DIALSTATUS', 'DIALEDPEERNUMBER', 'DIALEDPEERNAME', 'ANSWEREDTIME', 'ANSWEREDTIME_MS', 'DIALEDTIME', 'DIALEDTIME_MS', 'RINGTIME', 'RINGTIME_MS', 'PROGRESSTIME', 'PROGRESSTIME_MS'];

/** Channel name Asterisk gives an outgoing non-Local channel: `PJSIP/<endpoint>-<8 hex>`. */
function peerChannelName(tech: string, resource: string, suffix: string): string {
  const at = resource.lastIndexOf('@');
  const slash = resource.indexOf('/');
  const endpoint = tech.toUpperCase() === 'PJSIP' && at >= 0 ? resource.slice(at + 1) : slash >= 0 ? resource.slice(0, slash) : resource;
  return `${tech}/${endpoint}-${suffix}`;
}

/**
 * Asterisk's Dial() on `caller`, emitting what a real Asterisk 22 emits (the lab captures), for the
 * first destination of `dialString`. A Local destination creates both halves and runs the pre-dial
 * handler on `;1`; any other technology is one channel. The far end behaves as the trunk script says.
 */
export async function runDial(
  pbx: PbxEngine,
  caller: Channel,
  appData: string,
  dialString: string,
  timeoutS: number | undefined,
  predialCallerId: string | undefined,
  attempt: number,
): Promise<DialResult> {
  const dialStart = pbx.clock.now();
  for (const v of DIAL_VARS) pbx.setVar(caller, v, '');
  const first = dialString.split('&')[0] ?? '';
  const parsed = splitChannel(first);
  const outcome: TrunkOutcome = parsed ? pbx.trunks.outcomeFor(first, { number: caller.exten, attempt }) : { kind: 'unavailable' };
  const isLocal = parsed?.tech.toLowerCase() === 'local';
  const timeoutMs = timeoutS !== undefined && timeoutS > 0 ? timeoutS * 1000 : 120_000;

  if (!parsed || (!isLocal && outcome.kind === 'unavailable')) {
    // The channel driver refused the request: no channel, no Dial events.
    pbx.setVar(caller, 'DIALSTATUS', 'CHANUNAVAIL');
    return finish(pbx, caller, appData, first, { status: 'CHANUNAVAIL', cause: 0, answered: false }, dialStart, undefined, 0);
  }

  // --- set up the outgoing channel(s) ---
  let peer: Channel;
  let far: Channel | undefined;
  if (isLocal) {
    [peer, far] = pbx.createLocalPair(parsed.resource, caller.linkedid);
  } else {
    peer = pbx.create({
      name: peerChannelName(parsed.tech, parsed.resource, pbx.ids.nameSuffix()),
      tech: parsed.tech,
      state: STATE.Down,
      context: 'default',
      exten: caller.exten,
      uniqueid: pbx.ids.uniqueid(),
      linkedid: caller.linkedid,
    });
  }
  const peerContext = peer.context;
  const peerExten = peer.exten;
  pbx.setVar(peer, 'DIALEDPEERNUMBER', parsed.resource);
  peer.callerNum = caller.exten;
  peer.callerName = caller.callerName;
  peer.connectedNum = caller.callerNum;
  peer.connectedName = caller.callerName;
  pbx.newexten(peer, 'AppDial', '(Outgoing Line)');
  pbx.setCallerId(peer, peer.callerNum, peer.callerName);
  pbx.setConnectedLine(peer, peer.connectedNum, peer.connectedName);
  if (predialCallerId !== undefined) {
    // b(connector-predial^s^1(cid)): the presented number is set on the outgoing leg only.
    pbx.setVar(peer, 'LOCAL(ARG1)', predialCallerId);
    pbx.setVar(peer, 'LOCAL(ARGC)', '1');
    peer.context = 'connector-predial';
    peer.exten = 's';
    pbx.newexten(peer, 'Set', `CALLERID(num)=${predialCallerId}`, 1);
    pbx.setCallerId(peer, predialCallerId, peer.callerName);
    pbx.newexten(peer, 'Return', '', 2);
    pbx.setVar(peer, 'ARGC', '');
    pbx.setVar(peer, 'ARG1', '');
    pbx.setVar(peer, 'GOSUB_RETVAL', '');
    if (far) pbx.setVar(far, 'GOSUB_RETVAL', '');
  }
  if (far) {
    pbx.setVar(far, 'DIALEDPEERNUMBER', parsed.resource);
    pbx.setCallerId(far, caller.callerNum, caller.callerName);
    pbx.setConnectedLine(far, peer.callerNum, peer.callerName);
  }

  if (far && outcome.kind === 'unavailable') {
    // Local into a context that does not exist: both halves die at once, no DialBegin/DialEnd (ami-05).
    pbx.cdr({ ch: far, source: caller.callerNum, destination: far.exten, destinationContext: far.context, destinationChannel: '', lastApplication: '', lastData: '', durationMs: 0, billableMs: 0, answered: false, disposition: 'FAILED' });
    pbx.hangup(far, 0);
    pbx.hangup(peer, 0);
    pbx.setVar(caller, 'DIALSTATUS', 'CHANUNAVAIL');
    return finish(pbx, caller, appData, peer.name, { status: 'CHANUNAVAIL', cause: 0, answered: false }, dialStart, undefined, 0);
  }

  if (far) pbx.localBridge(peer, far);
  pbx.dialEvent('DialBegin', caller, peer, [['DialString', parsed.resource]]);
  peer.context = peerContext;
  peer.exten = peerExten;
  peer.priority = 1;

  const ring = async (ms: number): Promise<boolean> => {
    // true when the ringing reached the Dial timeout
    if (far) pbx.newexten(far, 'Ringing', '');
    pbx.setState(peer, STATE.Ringing);
    pbx.newexten(peer, 'AppDial', '(Outgoing Line)');
    if (far) pbx.newexten(far, 'Wait', String(Math.ceil(ms / 1000)), 2);
    pbx.setVar(caller, 'RINGTIME', '0');
    pbx.setVar(caller, 'RINGTIME_MS', '1');
    pbx.dialEvent('DialState', caller, peer, [['DialStatus', 'RINGING']]);
    await pbx.clock.sleep(Math.min(ms, timeoutMs));
    return ms >= timeoutMs;
  };
  const noAnswer = (): DialResult => {
    pbx.dialEvent('DialEnd', caller, peer, [['DialStatus', 'NOANSWER']]);
    if (far) pbx.hangupRequest(far, 0);
    pbx.hangup(peer, 0);
    pbx.setVar(caller, 'DIALSTATUS', 'NOANSWER');
    if (far) {
      pbx.softHangupRequest(far, 16);
      pbx.hangup(far, 0);
      pbx.cdr({ ch: far, source: caller.callerNum, destination: far.exten, destinationContext: far.context, destinationChannel: '', lastApplication: 'Wait', lastData: '20', durationMs: timeoutMs, billableMs: 0, answered: false, disposition: 'FAILED' });
    }
    return { status: 'NOANSWER', cause: 0, answered: false };
  };

  switch (outcome.kind) {
    case 'noanswer': {
      await ring(timeoutMs);
      return finish(pbx, caller, appData, peer.name, noAnswer(), dialStart, undefined, 0);
    }
    case 'busy': {
      if ((outcome.ringMs ?? 0) > 0 && (await ring(outcome.ringMs ?? 0))) return finish(pbx, caller, appData, peer.name, noAnswer(), dialStart, undefined, 0);
      const cause = far ? 0 : 17;
      if (far) {
        pbx.newexten(far, 'Busy', '2');
        pbx.setState(far, STATE.Busy);
      } else pbx.setState(peer, STATE.Busy);
      pbx.dialEvent('DialEnd', caller, peer, [['DialStatus', 'BUSY']]);
      if (far) pbx.hangupRequest(far, 0);
      pbx.hangup(peer, cause);
      if (far) {
        pbx.softHangupRequest(far, 16);
        pbx.hangup(far, 17);
        pbx.cdr({ ch: far, source: caller.callerNum, destination: far.exten, destinationContext: far.context, destinationChannel: '', lastApplication: 'Busy', lastData: '2', durationMs: 0, billableMs: 0, answered: false, disposition: 'BUSY' });
      }
      pbx.setVar(caller, 'DIALSTATUS', 'BUSY');
      return finish(pbx, caller, appData, peer.name, { status: 'BUSY', cause, answered: false }, dialStart, undefined, 0);
    }
    case 'hangup': {
      if ((outcome.ringMs ?? 0) > 0 && (await ring(outcome.ringMs ?? 0))) return finish(pbx, caller, appData, peer.name, noAnswer(), dialStart, undefined, 0);
      const cause = outcome.cause;
      if (far) {
        pbx.newexten(far, 'Hangup', String(cause));
        pbx.softHangupRequest(far, 16);
        pbx.hangupRequest(peer, cause);
        pbx.hangup(far, cause);
      } else pbx.hangupRequest(peer, cause);
      pbx.dialEvent('DialEnd', caller, peer, [['DialStatus', dialEndStatusForCause(cause)]]);
      if (far) pbx.cdr({ ch: far, source: caller.callerNum, destination: far.exten, destinationContext: far.context, destinationChannel: '', lastApplication: 'Hangup', lastData: String(cause), durationMs: 0, billableMs: 0, answered: false, disposition: cause === 34 ? 'FAILED' : 'NO ANSWER' });
      pbx.hangup(peer, cause);
      const status = dialStatusVariableForCause(cause);
      pbx.setVar(caller, 'DIALSTATUS', status);
      return finish(pbx, caller, appData, peer.name, { status, cause, answered: false }, dialStart, undefined, 0);
    }
    case 'answer': {
      if ((outcome.ringMs ?? 0) > 0 && (await ring(outcome.ringMs ?? 0))) return finish(pbx, caller, appData, peer.name, noAnswer(), dialStart, undefined, 0);
      const talkMs = outcome.talkMs ?? 0;
      const answerAt = pbx.clock.now();
      if (far) {
        pbx.newexten(far, 'Answer', '');
        pbx.setState(far, STATE.Up);
      }
      pbx.setState(peer, STATE.Up);
      pbx.newexten(peer, 'AppDial', '(Outgoing Line)');
      pbx.setVar(caller, 'DIALSTATUS', 'ANSWER');
      pbx.setVar(caller, 'DIALEDPEERNAME', peer.name);
      pbx.setVar(caller, 'DIALEDPEERNUMBER', parsed.resource);
      pbx.dialEvent('DialEnd', caller, peer, [['DialStatus', 'ANSWER']]);
      caller.onAnswered?.();
      const bridgeId = `${caller.uniqueid}-bridge-${peer.uniqueid}`;
      pbx.bridgeEvent('BridgeCreate', bridgeId, 0);
      peer.exten = '';
      pbx.newexten(peer, 'AppDial', '(Outgoing Line)');
      pbx.bridgeEvent('BridgeEnter', bridgeId, 1, peer);
      pbx.bridgeEvent('BridgeEnter', bridgeId, 2, caller);
      pbx.setVar(peer, 'BRIDGEPEER', caller.name);
      pbx.setVar(caller, 'BRIDGEPEER', peer.name);
      if (far) pbx.newexten(far, 'Wait', String(Math.round(talkMs / 1000)), 2);
      await pbx.clock.sleep(talkMs);
      // The callee hangs up (Hangup(16) on the far side).
      if (far) {
        pbx.newexten(far, 'Hangup', '16', 3);
        pbx.cdr({ ch: far, source: caller.callerNum, destination: far.exten, destinationContext: far.context, destinationChannel: '', lastApplication: 'Hangup', lastData: '16', durationMs: talkMs, billableMs: talkMs, answered: true, disposition: 'ANSWERED' });
        pbx.softHangupRequest(far, 16);
      }
      pbx.hangupRequest(peer, 16);
      if (far) pbx.hangup(far, 16);
      pbx.setVar(peer, 'BRIDGEPEER', '');
      pbx.setVar(caller, 'BRIDGEPEER', '');
      pbx.bridgeEvent('BridgeLeave', bridgeId, 1, peer);
      pbx.hangup(peer, 16);
      pbx.bridgeEvent('BridgeLeave', bridgeId, 0, caller);
      const seconds = String(Math.floor(talkMs / 1000));
      pbx.setVar(caller, 'ANSWEREDTIME', seconds);
      pbx.setVar(caller, 'ANSWEREDTIME_MS', String(talkMs));
      pbx.setVar(caller, 'DIALEDTIME', seconds);
      pbx.setVar(caller, 'DIALEDTIME_MS', String(talkMs));
      pbx.setVar(caller, 'DIALSTATUS', 'ANSWER');
      pbx.softHangupRequest(caller, 16);
      pbx.bridgeEvent('BridgeDestroy', bridgeId, 0);
      return finish(pbx, caller, appData, peer.name, { status: 'ANSWER', cause: 16, answered: true }, dialStart, answerAt, talkMs);
    }
    default:
      return finish(pbx, caller, appData, peer.name, { status: 'CHANUNAVAIL', cause: 0, answered: false }, dialStart, undefined, 0);
  }
}

function finish(pbx: PbxEngine, caller: Channel, appData: string, destChannel: string, r: DialResult, startMs: number, answerMs: number | undefined, talkMs: number): DialResult {
  caller.hangupCause = r.cause;
  pbx.recordDial(caller, { appData, destChannel, status: r.status, startMs, answerMs, endMs: pbx.clock.now(), talkMs });
  return r;
}
