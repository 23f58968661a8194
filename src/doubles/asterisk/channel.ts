import type { AmiField } from '../../adapters/asterisk/ami/codec.ts';

/** ChannelState codes and the descriptions Asterisk prints beside them. */
export const STATE = { Down: 0, Ring: 4, Ringing: 5, Up: 6, Busy: 7 } as const;
const STATE_DESC: Readonly<Record<number, string>> = { 0: 'Down', 4: 'Ring', 5: 'Ringing', 6: 'Up', 7: 'Busy' };

/** One simulated Asterisk channel: exactly the fields Asterisk puts in an event's channel block. */
export interface Channel {
  name: string;
  tech: string;
  state: number;
  callerNum: string;
  callerName: string;
  connectedNum: string;
  connectedName: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: number;
  readonly uniqueid: string;
  linkedid: string;
  readonly vars: Map<string, string>;
  /** What ${HANGUPCAUSE} reads: the cause of the last hangup Dial saw, 0 when none. */
  hangupCause: number;
  hungUp: boolean;
  /** Called when a Dial on this channel is answered (the dialer's `;1` half enters its context then). */
  onAnswered?: () => void;
}

export function newChannel(init: {
  name: string;
  tech: string;
  state: number;
  context: string;
  exten: string;
  uniqueid: string;
  linkedid?: string;
}): Channel {
  return {
    name: init.name,
    tech: init.tech,
    state: init.state,
    callerNum: '',
    callerName: '',
    connectedNum: '',
    connectedName: '',
    accountCode: '',
    context: init.context,
    exten: init.exten,
    priority: 1,
    uniqueid: init.uniqueid,
    linkedid: init.linkedid ?? init.uniqueid,
    vars: new Map(),
    hangupCause: 0,
    hungUp: false,
  };
}

const orUnknown = (v: string): string => (v === '' ? '<unknown>' : v);

/** The channel block every channel event carries, in Asterisk's order; `prefix` is "Dest" for a Dial peer. */
export function channelBlock(ch: Channel, prefix = ''): AmiField[] {
  return [
    [`${prefix}Channel`, ch.name],
    [`${prefix}ChannelState`, String(ch.state)],
    [`${prefix}ChannelStateDesc`, STATE_DESC[ch.state] ?? 'Unknown'],
    [`${prefix}CallerIDNum`, orUnknown(ch.callerNum)],
    [`${prefix}CallerIDName`, orUnknown(ch.callerName)],
    [`${prefix}ConnectedLineNum`, orUnknown(ch.connectedNum)],
    [`${prefix}ConnectedLineName`, orUnknown(ch.connectedName)],
    [`${prefix}Language`, 'en'],
    [`${prefix}AccountCode`, ch.accountCode],
    [`${prefix}Context`, ch.context],
    [`${prefix}Exten`, ch.exten],
    [`${prefix}Priority`, String(ch.priority)],
    [`${prefix}Uniqueid`, ch.uniqueid],
    [`${prefix}Linkedid`, ch.linkedid],
  ];
}

/** Allocates Uniqueids (`<epoch>.<seq>`) and the 8-hex-digit suffixes of channel names, as Asterisk does. */
export class ChannelIds {
  private seq = 0;
  private suffix = 0;
  private readonly epoch: number;

  constructor(nowMs: number) {
    this.epoch = Math.floor(nowMs / 1000);
  }

  uniqueid(): string {
    return `${this.epoch}.${this.seq++}`;
  }

  nameSuffix(): string {
    return (this.suffix++).toString(16).padStart(8, '0');
  }
}

/** `Tech/resource` → its parts; undefined when there is no slash (Asterisk: "Invalid channel"). */
export function splitChannel(spec: string): { tech: string; resource: string } | undefined {
  const slash = spec.indexOf('/');
  if (slash <= 0 || slash === spec.length - 1) return undefined;
  return { tech: spec.slice(0, slash), resource: spec.slice(slash + 1) };
}

/** `"Name" <num>`, `Name <num>`, `<num>` or a bare number → name and number, as Asterisk's CallerID parser. */
export function parseCallerId(v: string | undefined): { name: string; num: string } {
  if (v === undefined || v.trim() === '') return { name: '', num: '' };
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(v);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), num: (m[3] ?? '').trim() };
  return /^[+\d*#]+$/.test(v.trim()) ? { name: '', num: v.trim() } : { name: v.trim(), num: '' };
}
