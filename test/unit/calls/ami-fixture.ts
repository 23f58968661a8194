/** Hand-made AMI events (lowercased keys, as the AMI client delivers them) shaped like Asterisk 22's. */
export interface ChannelRef {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly context: string;
  readonly exten: string;
  readonly calleridnum?: string;
}

export class AmiScript {
  readonly events: Record<string, string>[] = [];
  private t: number;

  constructor(startSec = 1_795_440_100) {
    this.t = startSec;
  }

  /** Advance the Timestamp header by `s` seconds. */
  wait(s: number): this {
    this.t += s;
    return this;
  }

  private push(event: string, c: ChannelRef | null, extra: Record<string, string> = {}): this {
    const base: Record<string, string> = { event, privilege: 'call,all', timestamp: this.t.toFixed(6) };
    if (c) {
      Object.assign(base, {
        channel: c.channel, channelstate: '6', channelstatedesc: 'Up', calleridnum: c.calleridnum ?? '100', calleridname: '<unknown>',
        context: c.context, exten: c.exten, priority: '1', uniqueid: c.uniqueid, linkedid: c.linkedid,
      });
    }
    this.events.push({ ...base, ...extra });
    return this;
  }

  newchannel(c: ChannelRef): this {
    return this.push('Newchannel', c);
  }
  hangup(c: ChannelRef, cause: number): this {
    return this.push('Hangup', c, { cause: String(cause), 'cause-txt': 'x' });
  }
  dialBegin(from: ChannelRef, to: ChannelRef, dialString: string): this {
    return this.push('DialBegin', from, { destchannel: to.channel, destuniqueid: to.uniqueid, destlinkedid: to.linkedid, dialstring: dialString });
  }
  dialEnd(from: ChannelRef, to: ChannelRef, status: string): this {
    return this.push('DialEnd', from, { destchannel: to.channel, destuniqueid: to.uniqueid, dialstatus: status });
  }
  bridgeEnter(c: ChannelRef): this {
    return this.push('BridgeEnter', c, { bridgeuniqueid: 'b-1' });
  }
  varSet(c: ChannelRef, variable: string, value: string): this {
    return this.push('VarSet', c, { variable, value });
  }
  attempt(c: ChannelRef, n: number, status: string, cause: number): this {
    return this.push('UserEvent', c, { userevent: 'ConnectorAttempt', attempt: String(n), dialstatus: status, hangupcause: String(cause) });
  }
  userEvent(c: ChannelRef, name: string, fields: Record<string, string> = {}): this {
    return this.push('UserEvent', c, { userevent: name, ...fields });
  }
  failOpen(c: ChannelRef, agiStatus: string): this {
    return this.push('UserEvent', c, { userevent: 'ConnectorFailOpen', agistatus: agiStatus, reason: '' });
  }
  cdr(uniqueid: string, billable: number, disposition: string): this {
    return this.push('Cdr', null, { uniqueid, billableseconds: String(billable), disposition });
  }
  originateResponse(uniqueid: string, response: 'Success' | 'Failure', reason: string): this {
    return this.push('OriginateResponse', null, { actionid: 'a1', response, reason, uniqueid, channel: 'PJSIP/100' });
  }
  noise(c: ChannelRef): this {
    return this.push('Newexten', c, { application: 'Set', appdata: 'X=1' });
  }
}

/** The channels of one click-to-call `c2c-<id>`: the manager's leg in the connector context and its trunk legs. */
export function c2cChannels(id: string, trunkCount: number): { manager: ChannelRef; legs: ChannelRef[] } {
  const linkedid = `c2c-${id}-a`;
  const manager: ChannelRef = { channel: 'PJSIP/100-00000001', uniqueid: linkedid, linkedid, context: 'connector-outbound', exten: '79160000001' };
  const legs = Array.from({ length: trunkCount }, (_, i) => ({
    channel: `PJSIP/gw${i}-0000000${i + 2}`, uniqueid: `1795440000.${i + 2}`, linkedid, context: 'from-trunk', exten: 's',
  }));
  return { manager, legs };
}
