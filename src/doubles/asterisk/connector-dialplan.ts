import type { Channel } from './channel.ts';
import { cdrDisposition } from './causes.ts';
import { runDial } from './dial.ts';
import type { PbxEngine } from './engine.ts';
import { agiUrl, callFastAgi } from './fastagi-caller.ts';
import { runShippedOutbound } from './shipped-dialplan.ts';

/** The dialplan loop never runs away even if a FastAGI server keeps answering "dial". */
const MAX_LOOPS = 20;

export interface OutboundResult {
  /** The cause the caller's channel hangs up with (Hangup() with no argument keeps Dial's cause). */
  readonly hangupCause: number;
  /** Priority and application the channel ended on (for its last Cdr). */
  readonly lastApplication: string;
}

/**
 * Plays `connector-outbound` on `ch` (whose Exten is the number dialled): the product's
 * asterisk/extensions_connector.conf (default, shipped-dialplan.ts) or the lab's extensions.conf.used.
 */
export function runConnectorOutbound(pbx: PbxEngine, ch: Channel, number: string): Promise<OutboundResult> {
  return pbx.config.dialplan === 'lab' ? runLabOutbound(pbx, ch, number) : runShippedOutbound(pbx, ch, number);
}

/**
 * The lab's `connector-outbound` (extensions.conf.used, the one the captures were made with): store
 * CONNECTOR_EXTEN, ATTEMPT=1, MixMonitor, then loop AGI(route) → Dial → UserEvent(ConnectorAttempt)
 * until the route says stop or a call is answered; when the FastAGI server is unreachable,
 * UserEvent(ConnectorFailOpen) and Dial the fail-open trunk.
 */
async function runLabOutbound(pbx: PbxEngine, ch: Channel, number: string): Promise<OutboundResult> {
  ch.context = 'connector-outbound';
  ch.exten = number;
  pbx.newexten(ch, 'Set', `CONNECTOR_EXTEN=${ch.callerNum}`, 1);
  pbx.setVar(ch, 'CONNECTOR_EXTEN', ch.callerNum);
  pbx.newexten(ch, 'Set', 'ATTEMPT=1', 2);
  pbx.setVar(ch, 'ATTEMPT', '1');
  const file = `${pbx.config.monitorDir}/${ch.uniqueid}.wav`;
  pbx.newexten(ch, 'MixMonitor', file, 3);
  pbx.setVar(ch, 'MIXMONITOR_FILENAME', file);
  pbx.mixMonitorStart(ch);

  for (let loop = 0; loop < MAX_LOOPS; loop++) {
    const attempt = Number(ch.vars.get('ATTEMPT') ?? '1');
    const args = [number, String(attempt), ch.vars.get('DIALSTATUS') ?? '', String(ch.hangupCause)];
    pbx.newexten(ch, 'AGI', [agiUrl(pbx.config.fastAgi), ...args].join(','), 4);
    const agiStatus = await requestRoute(pbx, ch, args);
    if (pbx.clock.isClosed) return { hangupCause: 16, lastApplication: 'AGI' };
    pbx.setVar(ch, 'AGISTATUS', agiStatus);
    pbx.newexten(ch, 'GotoIf', `${agiStatus !== 'SUCCESS' ? 1 : 0}?failopen`, 5);
    if (agiStatus !== 'SUCCESS') return failOpen(pbx, ch, number, agiStatus);
    const action = ch.vars.get('ROUTE_ACTION') ?? '';
    pbx.newexten(ch, 'GotoIf', `${action !== 'dial' ? 1 : 0}?done`, 6);
    if (action !== 'dial') return done(pbx, ch);

    const dial = ch.vars.get('ROUTE_DIAL') ?? '';
    const timeout = ch.vars.get('ROUTE_TIMEOUT') ?? '';
    const callerId = ch.vars.get('ROUTE_CALLERID') ?? '';
    const appData = `${dial},${timeout},b(connector-predial^s^1(${callerId}))`;
    pbx.newexten(ch, 'Dial', appData, 7);
    const result = await runDial(pbx, ch, appData, dial, timeout === '' ? undefined : Number(timeout), callerId, attempt);
    if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
    pbx.newexten(ch, 'UserEvent', `ConnectorAttempt,Attempt: ${attempt},DialStatus: ${result.status},HangupCause: ${result.cause}`, 8);
    pbx.userEvent(ch, 'ConnectorAttempt', [
      ['Attempt', String(attempt)],
      ['DialStatus', result.status],
      ['HangupCause', String(result.cause)],
    ]);
    pbx.newexten(ch, 'Set', `ATTEMPT=${attempt + 1}`, 9);
    pbx.setVar(ch, 'ATTEMPT', String(attempt + 1));
    pbx.newexten(ch, 'Goto', 'next', 10);
  }
  pbx.logger.warn({ channel: ch.name }, 'PBX double: the route loop ran too many times; hanging up');
  return done(pbx, ch);
}

async function failOpen(pbx: PbxEngine, ch: Channel, number: string, agiStatus: string): Promise<OutboundResult> {
  pbx.newexten(ch, 'UserEvent', `ConnectorFailOpen,AgiStatus: ${agiStatus}`, 11);
  pbx.userEvent(ch, 'ConnectorFailOpen', [['AgiStatus', agiStatus]]);
  const dial = pbx.config.failOpen.dial.replace(/\{exten\}/g, number);
  const appData = `${dial},${pbx.config.failOpen.timeoutS}`;
  pbx.newexten(ch, 'Dial', appData, 12);
  const result = await runDial(pbx, ch, appData, dial, pbx.config.failOpen.timeoutS, undefined, 0);
  if (result.answered) return { hangupCause: 16, lastApplication: 'Dial' };
  return done(pbx, ch);
}

export function done(pbx: PbxEngine, ch: Channel, priority = 13): OutboundResult {
  pbx.newexten(ch, 'Hangup', '', priority);
  return { hangupCause: ch.hangupCause === 0 ? 16 : ch.hangupCause, lastApplication: 'Hangup' };
}

/** `AGI(agi://…/route,args…)` as Asterisk runs it: the FastAGI session on this channel; its AGISTATUS. */
export function requestRoute(pbx: PbxEngine, ch: Channel, args: readonly string[], deadline?: { readonly ms: number; readonly status: string }): Promise<string> {
  return callFastAgi({
    target: pbx.config.fastAgi,
    env: agiEnvironment(pbx, ch),
    args: [...args],
    channel: {
      get: (name) => pbx.readVariable(ch, name),
      set: (name, value) => pbx.setVar(ch, name, value),
      substitute: (expr) => pbx.substitute(ch, expr),
    },
    giveUpMs: deadline?.ms ?? pbx.config.agiGiveUpMs,
    ...(deadline ? { giveUpStatus: deadline.status } : {}),
    signal: pbx.clock.signal,
    logger: pbx.logger,
  });
}

export function agiEnvironment(pbx: PbxEngine, ch: Channel): [string, string][] {
  return [
    ['agi_network', 'yes'],
    ['agi_network_script', pbx.config.fastAgi.script ?? 'route'],
    ['agi_request', agiUrl(pbx.config.fastAgi)],
    ['agi_channel', ch.name],
    ['agi_language', 'en'],
    ['agi_type', ch.tech],
    ['agi_uniqueid', ch.uniqueid],
    ['agi_version', pbx.config.asteriskVersion],
    ['agi_callerid', ch.callerNum === '' ? 'unknown' : ch.callerNum],
    ['agi_calleridname', ch.callerName === '' ? 'unknown' : ch.callerName],
    ['agi_callingpres', '0'],
    ['agi_callingani2', '0'],
    ['agi_callington', '0'],
    ['agi_callingtns', '0'],
    ['agi_dnid', 'unknown'],
    ['agi_rdnis', 'unknown'],
    ['agi_context', ch.context],
    ['agi_extension', ch.exten],
    ['agi_priority', String(ch.priority)],
    ['agi_enhanced', '0.0'],
    ['agi_accountcode', ch.accountCode],
    ['agi_threadid', '139822625629888'],
  ];
}

/** The caller channel's Cdr events at hangup: one per Dial, then one for the app it ended on. */
export function emitCallerCdrs(pbx: PbxEngine, ch: Channel, ended: OutboundResult, answeredByPhone: boolean): void {
  const dials = pbx.dials.get(ch) ?? [];
  for (const d of dials) {
    pbx.cdr({
      ch,
      source: ch.callerNum,
      destination: ch.exten,
      destinationContext: ch.context,
      destinationChannel: d.destChannel,
      lastApplication: 'Dial',
      lastData: d.appData,
      durationMs: d.talkMs,
      billableMs: d.talkMs,
      answered: answeredByPhone || d.answerMs !== undefined,
      disposition: cdrDisposition(d.status),
    });
  }
  if (ended.lastApplication !== 'Dial') {
    pbx.cdr({ ch, source: ch.callerNum, destination: ch.exten, destinationContext: ch.context, destinationChannel: '', lastApplication: ended.lastApplication, lastData: '', durationMs: 0, billableMs: 0, answered: answeredByPhone, disposition: answeredByPhone ? 'ANSWERED' : 'NO ANSWER' });
  }
  pbx.dials.delete(ch);
}
