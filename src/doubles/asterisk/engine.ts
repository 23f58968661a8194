import type { AmiField } from '../../adapters/asterisk/ami/codec.ts';
import type { Logger } from '../../adapters/logging/logger.ts';
import { causeText } from './causes.ts';
import { channelBlock, ChannelIds, newChannel, type Channel } from './channel.ts';
import type { DoubleClock } from './clock.ts';
import type { EventBus } from './event-bus.ts';
import type { FastAgiTarget } from './fastagi-caller.ts';
import type { TrunkPlayer } from './scripts.ts';

/** One Dial the caller's channel made: what cdr_manager reports for it at hangup. */
export interface DialRecord {
  readonly appData: string;
  readonly destChannel: string;
  readonly status: string;
  readonly startMs: number;
  readonly answerMs: number | undefined;
  readonly endMs: number;
  readonly talkMs: number;
}

export interface EngineConfig {
  readonly fastAgi: FastAgiTarget;
  readonly monitorDir: string;
  readonly agiGiveUpMs: number;
  /** The shipped dialplan's CONNECTOR_ROUTE_DEADLINE, in real ms: a route answer later than this fails open. */
  readonly routeDeadlineMs: number;
  readonly failOpen: { readonly dial: string; readonly timeoutS: number };
  readonly asteriskVersion: string;
  /** Which `connector-outbound` is played: the shipped asterisk/extensions_connector.conf, or the lab's. */
  readonly dialplan: 'connector' | 'lab';
}

/**
 * The shared machinery of the double's dialplan: channel registry, id allocation, and one method per
 * Asterisk event so that the call flows read like the captures they reproduce.
 */
export class PbxEngine {
  readonly channels = new Map<string, Channel>();
  readonly ids: ChannelIds;
  /** The Dials each caller channel made, for its Cdr events at hangup. */
  readonly dials = new Map<Channel, DialRecord[]>();

  constructor(
    readonly bus: EventBus,
    readonly clock: DoubleClock,
    readonly trunks: TrunkPlayer,
    readonly config: EngineConfig,
    readonly logger: Logger,
  ) {
    this.ids = new ChannelIds(clock.now());
  }

  private ev(name: string, cls: string, ch: Channel, extra: readonly AmiField[] = []): void {
    if (!this.bus.wants(cls)) return;
    this.bus.emitEvent(name, cls, [...channelBlock(ch), ...extra]);
  }

  create(init: Parameters<typeof newChannel>[0]): Channel {
    const ch = newChannel(init);
    this.channels.set(ch.uniqueid, ch);
    this.ev('Newchannel', 'call', ch);
    return ch;
  }

  /** A new Local channel pair `Local/<resource>-<n>;1` (state Down) and `;2` (state Ring). */
  createLocalPair(resource: string, linkedid: string | undefined, ids: { one?: string; two?: string } = {}): [Channel, Channel] {
    const at = resource.indexOf('@');
    const exten = at >= 0 ? resource.slice(0, at) : resource;
    const context = at >= 0 ? resource.slice(at + 1) : 'default';
    const base = `Local/${resource}-${this.ids.nameSuffix()}`;
    const oneId = ids.one ?? this.ids.uniqueid();
    const one = this.create({ name: `${base};1`, tech: 'Local', state: 0, context, exten, uniqueid: oneId, linkedid: linkedid ?? oneId });
    const two = this.create({ name: `${base};2`, tech: 'Local', state: 4, context, exten, uniqueid: ids.two ?? this.ids.uniqueid(), linkedid: one.linkedid });
    return [one, two];
  }

  newexten(ch: Channel, app: string, data: string, priority?: number): void {
    if (priority !== undefined) ch.priority = priority;
    this.ev('Newexten', 'dialplan', ch, [['Extension', ch.exten], ['Application', app], ['AppData', data]]);
  }

  setVar(ch: Channel, name: string, value: string): void {
    ch.vars.set(name, value);
    this.ev('VarSet', 'dialplan', ch, [['Variable', name], ['Value', value]]);
  }

  setState(ch: Channel, state: number): void {
    ch.state = state;
    this.ev('Newstate', 'call', ch);
  }

  setCallerId(ch: Channel, num: string, name: string): void {
    ch.callerNum = num;
    ch.callerName = name;
    this.ev('NewCallerid', 'call', ch, [['CID-CallingPres', '0 (Presentation Allowed, Not Screened)']]);
  }

  setConnectedLine(ch: Channel, num: string, name: string): void {
    ch.connectedNum = num;
    ch.connectedName = name;
    this.ev('NewConnectedLine', 'call', ch);
  }

  hangupRequest(ch: Channel, cause: number): void {
    this.ev('HangupRequest', 'call', ch, [['Cause', String(cause)]]);
  }

  softHangupRequest(ch: Channel, cause: number): void {
    this.ev('SoftHangupRequest', 'call', ch, [['Cause', String(cause)]]);
  }

  hangup(ch: Channel, cause: number): void {
    if (ch.hungUp) return;
    ch.hungUp = true;
    this.channels.delete(ch.uniqueid);
    this.ev('Hangup', 'call', ch, [['Cause', String(cause)], ['Cause-txt', causeText(cause)]]);
  }

  mixMonitorStart(ch: Channel): void {
    this.ev('MixMonitorStart', 'call', ch);
  }

  userEvent(ch: Channel, name: string, headers: readonly AmiField[]): void {
    this.ev('UserEvent', 'user', ch, [['UserEvent', name], ...headers]);
  }

  /** DialBegin/DialState/DialEnd: the caller block is absent when an Originate dials directly. */
  dialEvent(name: 'DialBegin' | 'DialState' | 'DialEnd', caller: Channel | undefined, dest: Channel, extra: readonly AmiField[]): void {
    this.bus.emitEvent(name, 'call', [...(caller ? channelBlock(caller) : []), ...channelBlock(dest, 'Dest'), ...extra]);
  }

  localBridge(one: Channel, two: Channel): void {
    this.bus.emitEvent('LocalBridge', 'call', [
      ...channelBlock(one, 'LocalOne'),
      ...channelBlock(two, 'LocalTwo'),
      ['Context', two.context],
      ['Exten', two.exten],
      ['LocalOptimization', 'Yes'],
    ]);
  }

  bridgeEvent(name: 'BridgeCreate' | 'BridgeEnter' | 'BridgeLeave' | 'BridgeDestroy', bridgeId: string, members: number, ch?: Channel): void {
    this.bus.emitEvent(name, 'call', [
      ['BridgeUniqueid', bridgeId],
      ['BridgeType', 'basic'],
      ['BridgeTechnology', 'simple_bridge'],
      ['BridgeCreator', '<unknown>'],
      ['BridgeName', '<unknown>'],
      ['BridgeNumChannels', String(members)],
      ['BridgeVideoSourceMode', 'none'],
      ...(ch ? channelBlock(ch) : []),
    ]);
  }

  /** A Cdr event (cdr_manager), times as `YYYY-MM-DD HH:MM:SS` from the wall clock. */
  cdr(r: {
    ch: Channel;
    source: string;
    destination: string;
    destinationContext: string;
    destinationChannel: string;
    lastApplication: string;
    lastData: string;
    durationMs: number;
    billableMs: number;
    answered: boolean;
    disposition: string;
  }): void {
    if (!this.bus.wants('cdr')) return;
    const now = this.clock.now();
    const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    const start = now - r.durationMs * this.clock.timeScale;
    this.bus.emitEvent('Cdr', 'cdr', [
      ['AccountCode', r.ch.accountCode],
      ['Source', r.source],
      ['Destination', r.destination],
      ['DestinationContext', r.destinationContext],
      ['CallerID', r.ch.callerNum === '' ? '' : `"${r.ch.callerName}" <${r.ch.callerNum}>`],
      ['Channel', r.ch.name],
      ['DestinationChannel', r.destinationChannel],
      ['LastApplication', r.lastApplication],
      ['LastData', r.lastData],
      ['StartTime', stamp(start)],
      ['AnswerTime', r.answered ? stamp(start) : ''],
      ['EndTime', stamp(now)],
      ['Duration', String(Math.floor(r.durationMs / 1000))],
      ['BillableSeconds', String(Math.floor(r.billableMs / 1000))],
      ['Disposition', r.disposition],
      ['AMAFlags', 'DOCUMENTATION'],
      ['UniqueID', r.ch.uniqueid],
      ['UserField', ''],
    ]);
  }

  recordDial(ch: Channel, rec: DialRecord): void {
    const list = this.dials.get(ch) ?? [];
    list.push(rec);
    this.dials.set(ch, list);
  }

  /** A channel's live value of a variable or of the few dialplan functions the connector reads. */
  readVariable(ch: Channel, name: string): string | undefined {
    switch (name.toUpperCase()) {
      case 'CHANNEL(LINKEDID)':
        return ch.linkedid;
      case 'CHANNEL(UNIQUEID)':
      case 'UNIQUEID':
        return ch.uniqueid;
      case 'CHANNEL(NAME)':
      case 'CHANNEL':
        return ch.name;
      case 'CALLERID(NUM)':
        return ch.callerNum;
      case 'CALLERID(NAME)':
        return ch.callerName;
      case 'EXTEN':
        return ch.exten;
      case 'CONTEXT':
        return ch.context;
      case 'HANGUPCAUSE':
        return String(ch.hangupCause);
      default:
        return ch.vars.get(name);
    }
  }

  substitute(ch: Channel, expression: string): string {
    return expression.replace(/\$\{([^}]*)\}/g, (_m, name: string) => this.readVariable(ch, name) ?? '');
  }
}
