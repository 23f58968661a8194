import type { Channel } from './channel.ts';
import { done, requestRoute, type OutboundResult } from './connector-dialplan.ts';
import { runDial } from './dial.ts';
import type { PbxEngine } from './engine.ts';
import { agiUrl } from './fastagi-caller.ts';

/** The fields of ROUTE in the order asterisk/extensions_connector.conf CUTs them (route-session.ts writes them). */
const ROUTE_FIELDS = ['ROUTE_ACTION', 'ROUTE_DIAL', 'ROUTE_CALLERID', 'ROUTE_TIMEOUT', 'ROUTE_RECORD', 'ROUTE_CALL_ID', 'ROUTE_REASON'] as const;

/** The dialplan loop never runs away even if a FastAGI server keeps answering "dial". */
const MAX_LOOPS = 20;

/** Priorities of `_X.` in asterisk/extensions_connector.conf (Newexten carries them). */
const P = {
  connectorExten: 1, attempt: 2, clearRoute: 3, clearAction: 4, clearDial: 5, agi: 6, ifAgiFailed: 7, ifNoRoute: 8,
  cutFirst: 9, ifFailOpen: 16, ifNotDial: 17, ifNoRecording: 18, mixMonitor: 19, recordingEvent: 20, dial: 21,
  attemptEvent: 22, nextAttempt: 23, loop: 24, failOpenEvent: 25, failOpenGosub: 26, hangup: 27,
} as const;

/**
 * Plays `connector-outbound` as shipped in asterisk/extensions_connector.conf on `ch` (whose Exten is
 * the number dialled). Kept in step with that file: any change there belongs here too.
 */
export async function runShippedOutbound(pbx: PbxEngine, ch: Channel, number: string): Promise<OutboundResult> {
  ch.context = 'connector-outbound';
  ch.exten = number;
  // Emergency and short numbers, internal extensions: sent on before any routing (DECISIONS §3).
  if (number === '112' || /^10[1-4]$/.test(number)) return sendOn(pbx, ch, number, 'connector-emergency', `PJSIP/${number}@default-trunk`, undefined);
  if (/^[0-9]{3}$/.test(number)) return sendOn(pbx, ch, number, 'connector-internal', `PJSIP/${number}`, 30);

  const stored = ch.vars.get('CONNECTOR_EXTEN');
  const caller = stored !== undefined && stored !== '' ? stored : ch.callerNum;
  pbx.newexten(ch, 'Set', `CONNECTOR_EXTEN=${caller}`, P.connectorExten);
  pbx.setVar(ch, 'CONNECTOR_EXTEN', caller);
  pbx.newexten(ch, 'Set', 'ATTEMPT=1', P.attempt);
  pbx.setVar(ch, 'ATTEMPT', '1');

  for (let loop = 0; loop < MAX_LOOPS; loop++) {
    const attempt = Number(ch.vars.get('ATTEMPT') ?? '1');
    // A failed request must never redial what the previous attempt was told.
    pbx.newexten(ch, 'Set', 'ROUTE=', P.clearRoute);
    pbx.setVar(ch, 'ROUTE', '');
    pbx.newexten(ch, 'Set', 'ROUTE_ACTION=', P.clearAction);
    pbx.setVar(ch, 'ROUTE_ACTION', '');
    pbx.newexten(ch, 'Set', 'ROUTE_DIAL=', P.clearDial);
    pbx.setVar(ch, 'ROUTE_DIAL', '');
    const args = [
      number, String(attempt), ch.vars.get('DIALSTATUS') ?? '', String(ch.hangupCause),
      ch.linkedid, ch.vars.get('CONNECTOR_EXTEN') ?? '', ch.vars.get('CONNECTOR_CALL_ID') ?? '', 'ROUTE',
    ];
    pbx.newexten(ch, 'AGI', [agiUrl(pbx.config.fastAgi), ...args].join(','), P.agi);
    const agiStatus = await requestRoute(pbx, ch, args);
    if (pbx.clock.isClosed) return { hangupCause: 16, lastApplication: 'AGI' };
    pbx.setVar(ch, 'AGISTATUS', agiStatus);
    pbx.newexten(ch, 'GotoIf', `${agiStatus !== 'SUCCESS' ? 1 : 0}?failopen`, P.ifAgiFailed);
    if (agiStatus !== 'SUCCESS') return failOpen(pbx, ch, number, agiStatus);
    // One variable ROUTE = ACTION|DIAL|…, split by CUT(); without it, the separate variables stand.
    const route = ch.vars.get('ROUTE') ?? '';
    pbx.newexten(ch, 'GotoIf', `${route === '' ? 1 : 0}?answered`, P.ifNoRoute);
    if (route !== '') {
      const fields = route.split('|');
      ROUTE_FIELDS.forEach((name, i) => {
        pbx.newexten(ch, 'Set', `${name}=${fields[i] ?? ''}`, P.cutFirst + i);
        pbx.setVar(ch, name, fields[i] ?? '');
      });
    }
    const action = ch.vars.get('ROUTE_ACTION') ?? '';
    pbx.newexten(ch, 'GotoIf', `${action === 'failopen' ? 1 : 0}?failopen`, P.ifFailOpen);
    if (action === 'failopen') return failOpen(pbx, ch, number, agiStatus);
    pbx.newexten(ch, 'GotoIf', `${action !== 'dial' ? 1 : 0}?done`, P.ifNotDial);
    if (action !== 'dial') return done(pbx, ch, P.hangup);

    // One recording per call, at attempt 1, never for an excluded number (ROUTE_RECORD=0).
    const skipRecording = attempt !== 1 || ch.vars.get('ROUTE_RECORD') === '0';
    pbx.newexten(ch, 'GotoIf', `${skipRecording ? 1 : 0}?dial`, P.ifNoRecording);
    if (!skipRecording) {
      const file = `${pbx.config.monitorDir}/${ch.uniqueid}.wav`;
      pbx.newexten(ch, 'MixMonitor', file, P.mixMonitor);
      pbx.setVar(ch, 'MIXMONITOR_FILENAME', file);
      pbx.mixMonitorStart(ch);
      pbx.newexten(ch, 'UserEvent', `ConnectorRecording,File: ${file}`, P.recordingEvent);
      pbx.userEvent(ch, 'ConnectorRecording', [['File', file]]);
    }

    const dial = ch.vars.get('ROUTE_DIAL') ?? '';
    const timeout = ch.vars.get('ROUTE_TIMEOUT') ?? '';
    const callerId = ch.vars.get('ROUTE_CALLERID') ?? '';
    const appData = `${dial},${timeout},b(connector-predial^s^1(${callerId}))`;
    pbx.newexten(ch, 'Dial', appData, P.dial);
    const result = await runDial(pbx, ch, appData, dial, timeout === '' ? undefined : Number(timeout), callerId, attempt);
    if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
    pbx.newexten(ch, 'UserEvent', `ConnectorAttempt,Attempt: ${attempt},DialStatus: ${result.status},HangupCause: ${result.cause}`, P.attemptEvent);
    pbx.userEvent(ch, 'ConnectorAttempt', [
      ['Attempt', String(attempt)],
      ['DialStatus', result.status],
      ['HangupCause', String(result.cause)],
    ]);
    pbx.newexten(ch, 'Set', `ATTEMPT=${attempt + 1}`, P.nextAttempt);
    pbx.setVar(ch, 'ATTEMPT', String(attempt + 1));
    pbx.newexten(ch, 'Goto', 'next', P.loop);
  }
  pbx.logger.warn({ channel: ch.name }, 'PBX double: the route loop ran too many times; hanging up');
  return done(pbx, ch, P.hangup);
}

/** `failopen`: UserEvent(ConnectorFailOpen), Gosub(connector-failopen) → Dial the fail-open trunk, Hangup. */
async function failOpen(pbx: PbxEngine, ch: Channel, number: string, agiStatus: string): Promise<OutboundResult> {
  const reason = ch.vars.get('ROUTE_REASON') ?? '';
  pbx.newexten(ch, 'UserEvent', `ConnectorFailOpen,AgiStatus: ${agiStatus},Reason: ${reason}`, P.failOpenEvent);
  pbx.userEvent(ch, 'ConnectorFailOpen', [['AgiStatus', agiStatus], ['Reason', reason]]);
  pbx.newexten(ch, 'Gosub', `connector-failopen,${number},1`, P.failOpenGosub);
  ch.context = 'connector-failopen';
  const dial = pbx.config.failOpen.dial.replace(/\{exten\}/g, number);
  const appData = `${dial},${pbx.config.failOpen.timeoutS}`;
  pbx.newexten(ch, 'Dial', appData, 1);
  const result = await runDial(pbx, ch, appData, dial, pbx.config.failOpen.timeoutS, undefined, 0);
  if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
  pbx.newexten(ch, 'Return', '', 2);
  ch.context = 'connector-outbound';
  return done(pbx, ch, P.hangup);
}

/** 112, 101–104 and internal extensions: Goto another context that dials them directly. */
async function sendOn(pbx: PbxEngine, ch: Channel, number: string, context: string, dial: string, timeoutS: number | undefined): Promise<OutboundResult> {
  pbx.newexten(ch, 'Goto', `${context},${number},1`, 1);
  ch.context = context;
  const appData = timeoutS === undefined ? dial : `${dial},${timeoutS}`;
  pbx.newexten(ch, 'Dial', appData, 1);
  const result = await runDial(pbx, ch, appData, dial, timeoutS, undefined, 0);
  if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
  return done(pbx, ch, 2);
}
