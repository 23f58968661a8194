import { newTrackedCall, type TrackedCall } from './tracked-call.ts';

/** An AMI event: lowercased keys, values verbatim. */
export type AmiEventRecord = Readonly<Record<string, string | undefined>>;

/** What one event did to its call. */
export type TrackResult =
  | { readonly kind: 'ignored' }
  | { readonly kind: 'updated'; readonly call: TrackedCall }
  | { readonly kind: 'ended'; readonly call: TrackedCall };

const IGNORED: TrackResult = { kind: 'ignored' };

/** Events that carry nothing the call record needs (dropped before any lookup). */
const HANDLED = new Set(['Newchannel', 'Hangup', 'DialBegin', 'DialEnd', 'BridgeEnter', 'VarSet', 'UserEvent', 'Cdr', 'OriginateResponse']);
const TRACKED_VARIABLES = new Set(['MIXMONITOR_FILENAME', 'DIALSTATUS', 'ANSWEREDTIME']);

function causeOf(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** A channel announced before any of its events: a click-to-call's Originate, or a route request that beat the AMI events. */
interface Expected {
  readonly linkedid: string | null;
  readonly at: number;
}

/** Business the dialplan itself announces (it runs only in the connector's contexts). */
const CONNECTOR_EVENTS = new Set(['ConnectorAttempt', 'ConnectorFailOpen']);

/**
 * The call tracker's reducer (DECISIONS §16). It follows only calls the connector has business
 * with — a click-to-call it originated, a call that made a route request (`follow`), or one its
 * dialplan reports on (fail-open) — so inbound and internal calls leave no trace. Channels are
 * followed by Uniqueid: when bridging rewrites a channel's Linkedid to the bridge's oldest (a
 * transfer), the call takes that Linkedid too, and channels carrying it join the call. A call ends
 * at the last Hangup of its channels — or at an OriginateResponse Failure that created no channel.
 * Cdr events are recorded for cross-checking only.
 */
export class CallTrackerCore {
  readonly calls = new Map<string, TrackedCall>();
  /** Channel Uniqueid → the key of the call it belongs to. */
  private readonly callOfChannel = new Map<string, string>();
  /** Linkedid → the key of the call that owns it. */
  private readonly callOfLinkedid = new Map<string, string>();
  /** Channels up that belong to no followed call, by Linkedid (memory only: a call may become business later). */
  private readonly loose = new Map<string, Set<string>>();
  private readonly looseLinkedid = new Map<string, string>();
  private readonly expected = new Map<string, Expected>();
  /** Linkedids ended lately: a late event (an OriginateResponse after the last Hangup) must not reopen them. */
  private readonly recentlyEnded = new Set<string>();
  /**
   * Channels of no followed call that hung up lately (Uniqueid → Linkedid): a route request read
   * after its channel was gone (the connector lagging behind the PBX) closes its call at once
   * instead of waiting for events that already passed.
   */
  private readonly goneLoose = new Map<string, string>();

  constructor(
    private readonly connectorContext: string,
    private readonly rememberEnded = 10_000,
    /** How long an announced channel waits for its first event before it is forgotten. */
    private readonly expectForMs = 10 * 60_000,
  ) {}

  /** Restores a call persisted before a restart: events between its last write and now may be missing. */
  restore(call: TrackedCall, now: number): void {
    call.linkedids = Array.isArray(call.linkedids) ? call.linkedids : [call.linkedid];
    call.gapAt ??= now;
    call.endUnseen = false;
    this.calls.set(call.linkedid, call);
    for (const l of call.linkedids) this.callOfLinkedid.set(l, call.linkedid);
    for (const u of [...call.live, ...call.legs.map((l) => l.uniqueid)]) this.callOfChannel.set(u, call.linkedid);
    if (call.callerUniqueid !== null) this.callOfChannel.set(call.callerUniqueid, call.linkedid);
  }

  /**
   * The connector has business with this channel (it originated it, or it asked for a route):
   * its call is followed from now on, with what is known of its channels so far.
   */
  follow(uniqueid: string, linkedid: string | null, now: number): TrackResult {
    if (uniqueid === '' || this.recentlyEnded.has(linkedid ?? uniqueid)) return IGNORED;
    const key = this.callOfChannel.get(uniqueid);
    if (key !== undefined) {
      const call = this.calls.get(key);
      if (!call || call.callerUniqueid !== null) return IGNORED; // followed already: a later attempt
      call.callerUniqueid = uniqueid;
      return { kind: 'updated', call };
    }
    const seenLinkedid = this.looseLinkedid.get(uniqueid);
    if (seenLinkedid !== undefined) {
      const call = this.open(seenLinkedid, uniqueid, now);
      return { kind: 'updated', call };
    }
    const goneLinkedid = this.goneLoose.get(uniqueid);
    if (goneLinkedid !== undefined) return this.closeGone(uniqueid, goneLinkedid, now);
    this.expected.delete(uniqueid);
    this.expected.set(uniqueid, { linkedid, at: now });
    for (const [u, x] of this.expected) {
      if (now - x.at < this.expectForMs) break;
      this.expected.delete(u);
    }
    return IGNORED;
  }

  /** A followed channel that had already hung up: its call ended, what happened on it unseen (the PBX's records tell). */
  private closeGone(uniqueid: string, linkedid: string, now: number): TrackResult {
    this.goneLoose.delete(uniqueid);
    if (this.recentlyEnded.has(linkedid)) return IGNORED;
    // Other channels of the call are still up (a transfer): it goes on, followed from them.
    if (this.loose.has(linkedid)) return { kind: 'updated', call: this.open(linkedid, uniqueid, now) };
    const call: TrackedCall = { ...newTrackedCall(linkedid, now), callerUniqueid: uniqueid, channels: 1, endedAt: now, gapAt: now, endUnseen: true };
    this.remember(linkedid);
    return { kind: 'ended', call };
  }

  private remember(linkedid: string): void {
    this.recentlyEnded.add(linkedid);
    while (this.recentlyEnded.size > this.rememberEnded) {
      const oldest = this.recentlyEnded.values().next().value;
      if (oldest === undefined) break;
      this.recentlyEnded.delete(oldest);
    }
  }

  /** How many entries each per-call table holds (all zero once every call has ended and been forgotten, but the bounded memory of ended ones). */
  held(): { calls: number; channels: number; linkedids: number; loose: number; expected: number } {
    return { calls: this.calls.size, channels: this.callOfChannel.size, linkedids: this.callOfLinkedid.size, loose: this.looseLinkedid.size + this.loose.size, expected: this.expected.size };
  }

  /** Forgets an ended call (its record was handed on). */
  forget(key: string): void {
    const call = this.calls.get(key);
    if (!call) return;
    this.calls.delete(key);
    if (call.callerUniqueid !== null) this.callOfChannel.delete(call.callerUniqueid);
    for (const leg of call.legs) this.callOfChannel.delete(leg.uniqueid);
    for (const u of call.live) this.callOfChannel.delete(u);
    for (const l of call.linkedids) {
      if (this.callOfLinkedid.get(l) === key) this.callOfLinkedid.delete(l);
      this.remember(l);
    }
  }

  /** Whether this channel is one the tracker follows, expects or has just closed. */
  knowsChannel(uniqueid: string): boolean {
    return this.expected.has(uniqueid) || this.callOfChannel.has(uniqueid) || this.recentlyEnded.has(uniqueid);
  }

  /** Channels up that belong to no followed call and are not in `live` (the PBX's list) are dropped. */
  pruneLoose(live: ReadonlySet<string>): void {
    for (const [u, l] of this.looseLinkedid) if (!live.has(u) && !live.has(l)) this.dropLoose(u);
  }

  handle(e: AmiEventRecord, now: number): TrackResult {
    const name = e.event;
    if (name === undefined || !HANDLED.has(name)) return IGNORED;
    if (name === 'VarSet' && !TRACKED_VARIABLES.has(e.variable ?? '')) return IGNORED;
    if (name === 'OriginateResponse') return this.originateResponse(e, now);
    if (name === 'Cdr') return this.cdr(e);
    const uniqueid = e.uniqueid ?? '';
    const linkedid = e.linkedid ?? '';
    if (uniqueid === '' || linkedid === '') return IGNORED;
    const call = this.callOf(e, uniqueid, linkedid, now);
    if (!call) {
      this.followLoose(name, uniqueid, linkedid);
      return IGNORED;
    }
    if (call.endedAt !== null) return IGNORED;
    call.lastAt = now;
    if (e.context === this.connectorContext) {
      call.callerUniqueid ??= uniqueid;
      if (uniqueid === call.callerUniqueid && call.exten === null) {
        call.exten = e.exten ?? null;
        const num = e.calleridnum;
        call.callerNum = num === undefined || num === '<unknown>' || num === '' ? null : num;
      }
    }
    switch (name) {
      case 'Newchannel':
        this.addLive(call, uniqueid);
        return { kind: 'updated', call };
      case 'Hangup':
        return this.hangup(call, uniqueid, causeOf(e.cause), now);
      case 'DialBegin': {
        const dest = e.destuniqueid;
        // Only the connector context's dials are trunk legs (not an Originate ringing the manager);
        // after ConnectorFailOpen the caller's channel dials from the fail-open context it Gosubs to.
        const failOpenDial = call.failOpen && uniqueid === call.callerUniqueid;
        if (dest === undefined || (e.context !== this.connectorContext && !failOpenDial)) return { kind: 'updated', call };
        call.legs.push({
          uniqueid: dest, dialString: e.dialstring ?? '', begunAt: now, dialEnd: null, dialStatusVar: null, answeredAt: null, endedAt: null, cause: null,
        });
        this.callOfChannel.set(dest, call.linkedid);
        return { kind: 'updated', call };
      }
      case 'DialEnd': {
        const leg = call.legs.find((l) => l.uniqueid === e.destuniqueid);
        if (!leg) return { kind: 'updated', call };
        leg.dialEnd = e.dialstatus ?? null;
        if (leg.dialEnd === 'ANSWER') leg.answeredAt ??= now;
        return { kind: 'updated', call };
      }
      case 'BridgeEnter': {
        const leg = call.legs.find((l) => l.uniqueid === uniqueid);
        if (leg) leg.answeredAt ??= now;
        return { kind: 'updated', call };
      }
      case 'VarSet':
        return this.varSet(call, e, uniqueid);
      case 'UserEvent':
        return this.userEvent(call, e);
      default:
        return IGNORED;
    }
  }

  /**
   * The followed call this event's channel belongs to — by Uniqueid first (a rewritten Linkedid is
   * taken on by the call), then by Linkedid, then because it was announced — or null.
   */
  private callOf(e: AmiEventRecord, uniqueid: string, linkedid: string, now: number): TrackedCall | null {
    const key = this.callOfChannel.get(uniqueid);
    if (key !== undefined) {
      const call = this.calls.get(key) ?? null;
      if (call && !call.linkedids.includes(linkedid)) this.takeLinkedid(call, linkedid);
      return call;
    }
    if (this.recentlyEnded.has(linkedid)) return null;
    const owner = this.callOfLinkedid.get(linkedid);
    const call = owner !== undefined ? this.calls.get(owner) : undefined;
    if (call) {
      this.dropLoose(uniqueid);
      this.join(call, uniqueid, e.event !== 'Hangup');
      return call;
    }
    if (this.expected.has(uniqueid) || (e.event === 'UserEvent' && CONNECTOR_EVENTS.has(e.userevent ?? ''))) {
      const called = this.open(linkedid, uniqueid, now);
      if (e.event !== 'Hangup') this.addLive(called, uniqueid);
      return called;
    }
    return null;
  }

  /** Starts following a call from `uniqueid` (the channel the connector has business with). */
  private open(linkedid: string, uniqueid: string, now: number): TrackedCall {
    this.expected.delete(uniqueid);
    const owner = this.callOfLinkedid.get(linkedid);
    let call = owner !== undefined ? this.calls.get(owner) : undefined;
    if (!call) {
      call = newTrackedCall(linkedid, now);
      this.calls.set(linkedid, call);
      this.takeLinkedid(call, linkedid);
    }
    call.callerUniqueid ??= uniqueid;
    this.callOfChannel.set(uniqueid, call.linkedid);
    if (this.looseLinkedid.has(uniqueid)) {
      this.dropLoose(uniqueid);
      this.addLive(call, uniqueid);
    }
    return call;
  }

  /** The call owns `linkedid` (unless another followed call does): its channels up join the call. */
  private takeLinkedid(call: TrackedCall, linkedid: string): void {
    const owner = this.callOfLinkedid.get(linkedid);
    if (owner !== undefined && owner !== call.linkedid) return;
    if (!call.linkedids.includes(linkedid)) call.linkedids.push(linkedid);
    this.callOfLinkedid.set(linkedid, call.linkedid);
    for (const u of [...(this.loose.get(linkedid) ?? [])]) {
      this.dropLoose(u);
      this.join(call, u, true);
    }
  }

  private join(call: TrackedCall, uniqueid: string, up: boolean): void {
    this.callOfChannel.set(uniqueid, call.linkedid);
    if (up) this.addLive(call, uniqueid);
  }

  private addLive(call: TrackedCall, uniqueid: string): void {
    if (call.live.includes(uniqueid)) return;
    call.live.push(uniqueid);
    call.channels++;
  }

  /** Channels of no followed call: only which Linkedid each carries, while it is up. */
  private followLoose(name: string, uniqueid: string, linkedid: string): void {
    if (name === 'Hangup') {
      if (this.looseLinkedid.has(uniqueid)) this.rememberGone(uniqueid, linkedid);
      return this.dropLoose(uniqueid);
    }
    const was = this.looseLinkedid.get(uniqueid);
    if (was === linkedid || (was === undefined && name !== 'Newchannel')) return;
    if (was !== undefined) this.dropLoose(uniqueid);
    this.looseLinkedid.set(uniqueid, linkedid);
    let set = this.loose.get(linkedid);
    if (!set) this.loose.set(linkedid, (set = new Set()));
    set.add(uniqueid);
  }

  private rememberGone(uniqueid: string, linkedid: string): void {
    this.goneLoose.set(uniqueid, linkedid);
    while (this.goneLoose.size > this.rememberEnded) {
      const oldest = this.goneLoose.keys().next().value;
      if (oldest === undefined) break;
      this.goneLoose.delete(oldest);
    }
  }

  private dropLoose(uniqueid: string): void {
    const linkedid = this.looseLinkedid.get(uniqueid);
    if (linkedid === undefined) return;
    this.looseLinkedid.delete(uniqueid);
    const set = this.loose.get(linkedid);
    set?.delete(uniqueid);
    if (set?.size === 0) this.loose.delete(linkedid);
  }

  private hangup(call: TrackedCall, uniqueid: string, cause: number | null, now: number): TrackResult {
    const leg = call.legs.find((l) => l.uniqueid === uniqueid);
    if (leg) {
      leg.endedAt = now;
      leg.cause = cause;
    }
    const i = call.live.indexOf(uniqueid);
    if (i >= 0) call.live.splice(i, 1);
    else call.channels++; // a channel we never saw start (restart): it existed all the same
    // Legs and the caller stay mapped until the call is forgotten (their Cdr events come later).
    if (!leg && uniqueid !== call.callerUniqueid) this.callOfChannel.delete(uniqueid);
    if (call.live.length === 0) {
      call.endedAt = now;
      return { kind: 'ended', call };
    }
    return { kind: 'updated', call };
  }

  private varSet(call: TrackedCall, e: AmiEventRecord, uniqueid: string): TrackResult {
    const value = e.value ?? '';
    switch (e.variable) {
      case 'MIXMONITOR_FILENAME':
        if (value === '') return IGNORED;
        call.recording = value;
        return { kind: 'updated', call };
      case 'DIALSTATUS': {
        // Dial clears it before dialling; only a value set on the caller's side after a leg began counts.
        if (value === '' || uniqueid !== call.callerUniqueid) return IGNORED;
        const leg = call.legs[call.legs.length - 1];
        if (leg) leg.dialStatusVar = value;
        return { kind: 'updated', call };
      }
      case 'ANSWEREDTIME': {
        const secs = Number(value);
        if (value === '' || uniqueid !== call.callerUniqueid || !Number.isFinite(secs)) return IGNORED;
        call.answeredTime = Math.round(secs);
        return { kind: 'updated', call };
      }
      default:
        return IGNORED;
    }
  }

  private userEvent(call: TrackedCall, e: AmiEventRecord): TrackResult {
    const kind = e.userevent;
    if (kind === 'ConnectorAttempt') {
      const attempt = Number(e.attempt);
      if (!Number.isInteger(attempt) || attempt < 1) return { kind: 'updated', call };
      if (!call.reported.some((r) => r.attempt === attempt)) {
        call.reported.push({ attempt, dialStatus: e.dialstatus ?? '', cause: causeOf(e.hangupcause) });
      }
      return { kind: 'updated', call };
    }
    if (kind === 'ConnectorRecording') {
      // The dialplan reports MixMonitor's file when the AMI user does not read VarSet (class dialplan).
      if (!e.file) return IGNORED;
      call.recording = e.file;
      return { kind: 'updated', call };
    }
    if (kind === 'ConnectorFailOpen') {
      call.failOpen = true;
      return { kind: 'updated', call };
    }
    return IGNORED;
  }

  private cdr(e: AmiEventRecord): TrackResult {
    const key = this.callOfChannel.get(e.uniqueid ?? '');
    const call = key === undefined ? undefined : this.calls.get(key);
    const billable = Number(e.billableseconds);
    if (!call || !Number.isFinite(billable)) return IGNORED;
    call.cdrBillable = Math.max(call.cdrBillable ?? 0, billable);
    return IGNORED; // never a reason to persist or close (DECISIONS §16)
  }

  /** OriginateResponse has no Linkedid: its Uniqueid is the Originate's ChannelId, the call's first channel. */
  private originateResponse(e: AmiEventRecord, now: number): TrackResult {
    const uniqueid = e.uniqueid ?? '';
    // No channel id to correlate (`<unknown>`): the app resolves it by ActionID instead.
    if (uniqueid === '' || uniqueid === '<unknown>') return IGNORED;
    const key = this.callOfChannel.get(uniqueid);
    let call = key !== undefined ? this.calls.get(key) : undefined;
    if (!call) {
      // Only an Originate the connector sent (announced by `follow`) is its business.
      if (!this.expected.has(uniqueid) || this.recentlyEnded.has(uniqueid)) return IGNORED;
      call = this.open(this.expected.get(uniqueid)?.linkedid ?? uniqueid, uniqueid, now);
    }
    if (call.endedAt !== null || call.originate !== null) return IGNORED;
    call.originate = { response: e.response ?? '', reason: e.reason ?? '' };
    call.lastAt = now;
    // Asterisk could not create the channel at all: no Hangup will ever come.
    if (call.originate.response === 'Failure' && call.live.length === 0) {
      call.endedAt = now;
      return { kind: 'ended', call };
    }
    return { kind: 'updated', call };
  }
}
