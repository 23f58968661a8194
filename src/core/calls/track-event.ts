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

/**
 * The call tracker's reducer: folds AMI events into one TrackedCall per Linkedid (DECISIONS §16).
 * A call ends at the last Hangup of its Linkedid — or at an OriginateResponse Failure that created
 * no channel. Cdr events are recorded for cross-checking only. Tolerates events of calls it never
 * saw start (after a restart): they open a call on the spot.
 */
export class CallTrackerCore {
  readonly calls = new Map<string, TrackedCall>();
  private readonly linkedOf = new Map<string, string>();
  /** Linkedids ended lately: a late event (an OriginateResponse after the last Hangup) must not reopen them. */
  private readonly recentlyEnded = new Set<string>();

  constructor(private readonly connectorContext: string, private readonly rememberEnded = 10_000) {}

  /** Restores a call persisted before a restart. */
  restore(call: TrackedCall): void {
    this.calls.set(call.linkedid, call);
    for (const u of call.live) this.linkedOf.set(u, call.linkedid);
    if (call.callerUniqueid !== null) this.linkedOf.set(call.callerUniqueid, call.linkedid);
  }

  /** Forgets an ended call (its record was handed on). */
  forget(linkedid: string): void {
    const call = this.calls.get(linkedid);
    if (!call) return;
    this.calls.delete(linkedid);
    if (call.callerUniqueid !== null) this.linkedOf.delete(call.callerUniqueid);
    for (const leg of call.legs) this.linkedOf.delete(leg.uniqueid);
    for (const u of call.live) this.linkedOf.delete(u);
    this.linkedOf.delete(linkedid);
    this.recentlyEnded.add(linkedid);
    if (this.recentlyEnded.size > this.rememberEnded) {
      const oldest = this.recentlyEnded.values().next().value;
      if (oldest !== undefined) this.recentlyEnded.delete(oldest);
    }
  }

  handle(e: AmiEventRecord, now: number): TrackResult {
    const name = e.event;
    if (name === undefined || !HANDLED.has(name)) return IGNORED;
    if (name === 'VarSet' && !TRACKED_VARIABLES.has(e.variable ?? '')) return IGNORED;
    if (name === 'OriginateResponse') return this.originateResponse(e, now);
    if (name === 'Cdr') return this.cdr(e);
    const linkedid = e.linkedid;
    if (linkedid === undefined || linkedid === '' || this.recentlyEnded.has(linkedid)) return IGNORED;
    let call = this.calls.get(linkedid);
    if (!call) {
      call = newTrackedCall(linkedid, now);
      this.calls.set(linkedid, call);
    }
    if (call.endedAt !== null) return IGNORED;
    call.lastAt = now;
    const uniqueid = e.uniqueid ?? '';
    if (e.context === this.connectorContext && uniqueid !== '') {
      call.relevant = true;
      if (call.callerUniqueid === null) {
        call.callerUniqueid = uniqueid;
        this.linkedOf.set(uniqueid, linkedid);
        call.exten = e.exten ?? null;
        const num = e.calleridnum;
        call.callerNum = num === undefined || num === '<unknown>' || num === '' ? null : num;
      }
    }
    switch (name) {
      case 'Newchannel':
        if (uniqueid !== '' && !call.live.includes(uniqueid)) {
          call.live.push(uniqueid);
          call.channels++;
          this.linkedOf.set(uniqueid, linkedid);
        }
        return { kind: 'updated', call };
      case 'Hangup':
        return this.hangup(call, uniqueid, causeOf(e.cause), now);
      case 'DialBegin': {
        const dest = e.destuniqueid;
        // Only the connector context's dials are trunk legs (not an Originate ringing the manager);
        // after ConnectorFailOpen the caller's channel dials from the fail-open context it Gosubs to.
        const failOpenDial = call.failOpen && uniqueid !== '' && uniqueid === call.callerUniqueid;
        if (dest === undefined || (e.context !== this.connectorContext && !failOpenDial)) return IGNORED;
        call.legs.push({
          uniqueid: dest, dialString: e.dialstring ?? '', begunAt: now, dialEnd: null, dialStatusVar: null, answeredAt: null, endedAt: null, cause: null,
        });
        this.linkedOf.set(dest, linkedid);
        return { kind: 'updated', call };
      }
      case 'DialEnd': {
        const leg = call.legs.find((l) => l.uniqueid === e.destuniqueid);
        if (!leg) return IGNORED;
        leg.dialEnd = e.dialstatus ?? null;
        if (leg.dialEnd === 'ANSWER') leg.answeredAt ??= now;
        return { kind: 'updated', call };
      }
      case 'BridgeEnter': {
        const leg = call.legs.find((l) => l.uniqueid === uniqueid);
        if (!leg) return IGNORED;
        leg.answeredAt ??= now;
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

  private hangup(call: TrackedCall, uniqueid: string, cause: number | null, now: number): TrackResult {
    const leg = call.legs.find((l) => l.uniqueid === uniqueid);
    if (leg) {
      leg.endedAt = now;
      leg.cause = cause;
    }
    const i = call.live.indexOf(uniqueid);
    if (i >= 0) call.live.splice(i, 1);
    else call.channels++; // a channel we never saw start (restart): it existed all the same
    this.linkedOf.delete(uniqueid);
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
      if (!Number.isInteger(attempt) || attempt < 1) return IGNORED;
      call.relevant = true;
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
      call.relevant = true;
      call.failOpen = true;
      return { kind: 'updated', call };
    }
    return IGNORED;
  }

  private cdr(e: AmiEventRecord): TrackResult {
    const linkedid = this.linkedOf.get(e.uniqueid ?? '');
    const call = linkedid === undefined ? undefined : this.calls.get(linkedid);
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
    const linkedid = this.linkedOf.get(uniqueid) ?? uniqueid;
    if (this.recentlyEnded.has(linkedid)) return IGNORED;
    let call = this.calls.get(linkedid);
    if (!call) {
      call = newTrackedCall(linkedid, now);
      this.calls.set(linkedid, call);
    }
    if (call.endedAt !== null || call.originate !== null) return IGNORED;
    call.originate = { response: e.response ?? '', reason: e.reason ?? '' };
    call.relevant = true;
    call.lastAt = now;
    // Asterisk could not create the channel at all: no Hangup will ever come.
    if (call.originate.response === 'Failure' && call.live.length === 0) {
      call.endedAt = now;
      return { kind: 'ended', call };
    }
    return { kind: 'updated', call };
  }
}
