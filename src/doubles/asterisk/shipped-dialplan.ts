import type { Channel } from './channel.ts';
import { done, requestRoute, type OutboundResult } from './connector-dialplan.ts';
import { runDial } from './dial.ts';
import type { PbxEngine } from './engine.ts';
import { agiUrl } from './fastagi-caller.ts';

/** The fields of ROUTE in the order asterisk/extensions_connector.conf CUTs them (route-session.ts writes them). */
const ROUTE_FIELDS = ['ROUTE_ACTION', 'ROUTE_DIAL', 'ROUTE_CALLERID', 'ROUTE_TIMEOUT', 'ROUTE_RECORD', 'ROUTE_CALL_ID', 'ROUTE_REASON'] as const;

/** The dialplan loop never runs away even if a FastAGI server keeps answering "dial". */
const MAX_LOOPS = 20;

/** Priorities of the route loop (`_[+0-9]X.` in [connector-route]) of asterisk/extensions_connector.conf (Newexten carries them). */
const P = {
  connectorExten: 1, connectorNumber: 2, exitOnHangup: 3, attempt: 4, clearRoute: 5, clearAction: 6, clearDial: 7, deadline: 8,
  agi: 9, deadlineOff: 10, ifAgiFailed: 11, ifStopped: 12, ifNoRoute: 13, cutFirst: 14, ifStop: 21, ifNoDial: 22,
  ifNoRecording: 23, mixMonitor: 24, recordingEvent: 25, dial: 26, attemptEvent: 27, ifCalleeOutcome: 28, nextAttempt: 29,
  loop: 30, failOpenEvent: 31, failOpenGosub: 32, hangup: 33,
} as const;

/** DIALSTATUS values that are the callee's own answer: the dialplan ends the route there itself. */
const CALLEE_OUTCOMES = new Set(['ANSWER', 'BUSY', 'NOANSWER', 'CANCEL']);

/** AGISTATUS the double reports when the route answer outlived CONNECTOR_ROUTE_DEADLINE (the T extension). */
const DEADLINE = 'TIMEOUT';

/**
 * Plays `connector-outbound` as shipped in asterisk/extensions_connector.conf on `ch` (whose Exten is
 * the number dialled). Kept in step with that file: any change there belongs here too.
 */
export async function runShippedOutbound(pbx: PbxEngine, ch: Channel, number: string): Promise<OutboundResult> {
  ch.context = 'connector-outbound';
  ch.exten = number;
  // 112 first, then the included contexts in order: internal extensions (shipped: every 3-digit
  // number, so 101–104 are colleagues), 101–104 (emergency, where not internal), the route loop.
  if (number === '112') return sendOn(pbx, ch, number, 'connector-emergency', `PJSIP/${number}@default-trunk`, undefined);
  if (/^[0-9]{3}$/.test(number)) return dialInternal(pbx, ch, number);

  const stored = ch.vars.get('CONNECTOR_EXTEN');
  const caller = stored !== undefined && stored !== '' ? stored : ch.callerNum;
  pbx.newexten(ch, 'Set', `CONNECTOR_EXTEN=${caller}`, P.connectorExten);
  pbx.setVar(ch, 'CONNECTOR_EXTEN', caller);
  pbx.newexten(ch, 'Set', `CONNECTOR_NUMBER=${number}`, P.connectorNumber);
  pbx.setVar(ch, 'CONNECTOR_NUMBER', number);
  pbx.newexten(ch, 'Set', 'AGIEXITONHANGUP=yes', P.exitOnHangup);
  pbx.setVar(ch, 'AGIEXITONHANGUP', 'yes');
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
    const deadlineS = pbx.config.routeDeadlineMs / 1000;
    pbx.newexten(ch, 'Set', `TIMEOUT(absolute)=${deadlineS}`, P.deadline);
    pbx.newexten(ch, 'AGI', [agiUrl(pbx.config.fastAgi), ...args].join(','), P.agi);
    const agiStatus = await requestRoute(pbx, ch, args, { ms: pbx.config.routeDeadlineMs, status: DEADLINE });
    if (pbx.clock.isClosed) return { hangupCause: 16, lastApplication: 'AGI' };
    if (agiStatus === DEADLINE) return deadlinePassed(pbx, ch, number, deadlineS);
    pbx.newexten(ch, 'Set', 'TIMEOUT(absolute)=0', P.deadlineOff);
    pbx.setVar(ch, 'AGISTATUS', agiStatus);
    pbx.newexten(ch, 'GotoIf', `${agiStatus !== 'SUCCESS' ? 1 : 0}?failopen`, P.ifAgiFailed);
    if (agiStatus !== 'SUCCESS') return failOpen(pbx, ch, number, agiStatus);
    // One variable ROUTE = ACTION|DIAL|…, split by CUT(); without it, the separate variables stand.
    const route = ch.vars.get('ROUTE') ?? '';
    pbx.newexten(ch, 'GotoIf', `${route.startsWith('stop|') ? 1 : 0}?done`, P.ifStopped);
    if (route.startsWith('stop|')) return done(pbx, ch, P.hangup);
    pbx.newexten(ch, 'GotoIf', `${route === '' ? 1 : 0}?answered`, P.ifNoRoute);
    if (route !== '') {
      const fields = route.split('|');
      ROUTE_FIELDS.forEach((name, i) => {
        pbx.newexten(ch, 'Set', `${name}=${fields[i] ?? ''}`, P.cutFirst + i);
        pbx.setVar(ch, name, fields[i] ?? '');
      });
    }
    const action = ch.vars.get('ROUTE_ACTION') ?? '';
    pbx.newexten(ch, 'GotoIf', `${action === 'stop' ? 1 : 0}?done`, P.ifStop);
    if (action === 'stop') return done(pbx, ch, P.hangup);
    // Anything but a usable dial fails open: failopen, a session closed without an answer.
    const unusable = action !== 'dial' || (ch.vars.get('ROUTE_DIAL') ?? '') === '';
    pbx.newexten(ch, 'GotoIf', `${unusable ? 1 : 0}?failopen`, P.ifNoDial);
    if (unusable) return failOpen(pbx, ch, number, agiStatus);

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
    // The callee's own answer ends the route in the dialplan: a connector outage never calls a client twice.
    const calleeOutcome = CALLEE_OUTCOMES.has(result.status);
    pbx.newexten(ch, 'GotoIf', `${calleeOutcome ? 1 : 0}?done`, P.ifCalleeOutcome);
    if (calleeOutcome) return done(pbx, ch, P.hangup);
    pbx.newexten(ch, 'Set', `ATTEMPT=${attempt + 1}`, P.nextAttempt);
    pbx.setVar(ch, 'ATTEMPT', String(attempt + 1));
    pbx.newexten(ch, 'Goto', 'next', P.loop);
  }
  pbx.logger.warn({ channel: ch.name }, 'PBX double: the route loop ran too many times; hanging up');
  return done(pbx, ch, P.hangup);
}

/** The T extension: the route answer outlived CONNECTOR_ROUTE_DEADLINE; Asterisk ended the AGI. */
function deadlinePassed(pbx: PbxEngine, ch: Channel, number: string, deadlineS: number): Promise<OutboundResult> {
  ch.exten = 'T';
  pbx.newexten(ch, 'Set', 'TIMEOUT(absolute)=0', 1);
  return failOpen(pbx, ch, number, DEADLINE, `no route answer within ${deadlineS} s`, { event: 2, gosub: 3, hangup: 4 });
}

/** `failopen`: UserEvent(ConnectorFailOpen), Gosub(connector-failopen) → Dial the fail-open trunk, Hangup. */
async function failOpen(
  pbx: PbxEngine, ch: Channel, number: string, agiStatus: string, reason = ch.vars.get('ROUTE_REASON') ?? '',
  at: { readonly event: number; readonly gosub: number; readonly hangup: number } = { event: P.failOpenEvent, gosub: P.failOpenGosub, hangup: P.hangup },
): Promise<OutboundResult> {
  pbx.newexten(ch, 'UserEvent', `ConnectorFailOpen,AgiStatus: ${agiStatus},Reason: ${reason}`, at.event);
  pbx.userEvent(ch, 'ConnectorFailOpen', [['AgiStatus', agiStatus], ['Reason', reason]]);
  pbx.newexten(ch, 'Gosub', `connector-failopen,${number},1`, at.gosub);
  ch.context = 'connector-failopen';
  const dial = pbx.config.failOpen.dial.replace(/\{exten\}/g, number);
  const appData = `${dial},${pbx.config.failOpen.timeoutS}`;
  pbx.newexten(ch, 'Dial', appData, 1);
  const result = await runDial(pbx, ch, appData, dial, pbx.config.failOpen.timeoutS, undefined, 0);
  if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
  pbx.newexten(ch, 'Return', '', 2);
  ch.context = 'connector-outbound';
  return done(pbx, ch, at.hangup);
}

/** An internal extension: [connector-internal] is included in connector-outbound, so it dials right there. */
async function dialInternal(pbx: PbxEngine, ch: Channel, number: string): Promise<OutboundResult> {
  const dial = `PJSIP/${number}`;
  pbx.newexten(ch, 'Dial', `${dial},30`, 1);
  const result = await runDial(pbx, ch, `${dial},30`, dial, 30, undefined, 0);
  if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
  return done(pbx, ch, 2);
}

/** 112: Goto the emergency context, which dials it directly. */
async function sendOn(pbx: PbxEngine, ch: Channel, number: string, context: string, dial: string, timeoutS: number | undefined): Promise<OutboundResult> {
  pbx.newexten(ch, 'Goto', `${context},${number},1`, 1);
  ch.context = context;
  const appData = timeoutS === undefined ? dial : `${dial},${timeoutS}`;
  pbx.newexten(ch, 'Dial', appData, 1);
  const result = await runDial(pbx, ch, appData, dial, timeoutS, undefined, 0);
  if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
  return done(pbx, ch, 2);
}
