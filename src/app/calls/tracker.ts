import { EventEmitter } from 'node:events';
import type { Logger } from '../../adapters/logging/logger.ts';
import { CallTrackerCore, type AmiEventRecord } from '../../core/calls/track-event.ts';
import { newTrackedCall, type TrackedCall } from '../../core/calls/tracked-call.ts';
import type { CallAttemptRecord, CallRecord, StoredCall } from './call-record.ts';
import { finishCall, type FinishOptions } from './finish-call.ts';
import type { PbxTalk } from '../../core/calls/summarize.ts';
import type { CallStore, Clock, EndedCall, PbxRecords, TrackingWrite } from './ports.ts';
import { CLICK_TO_CALL_PREFIX } from './route-service.ts';

export interface CallTrackerDeps extends FinishOptions {
  readonly store: CallStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The dialplan context that runs the route loop (default `connector-outbound`, as shipped). */
  readonly connectorContext?: string;
  /** How often in-flight state and ended calls are written (one transaction per flush). */
  readonly flushIntervalMs?: number;
  /** Runs before ended calls are read back: RouteService.drain(), so their last route step is stored. */
  readonly beforeClose?: () => Promise<void>;
  /** The PBX's stored call records, for calls the tracker saw only in part; null = none configured. */
  readonly pbxRecords?: PbxRecords | null;
  /**
   * A call and its attempts as stored, when this process knows them without a read (the route
   * service planned and routed it: RouteService.known); asked after `beforeClose`.
   */
  readonly known?: (uniqueid: string) => { readonly call: StoredCall; readonly attempts: readonly CallAttemptRecord[] } | undefined;
}

/** Ended calls written per transaction. */
const CLOSE_CHUNK = 10;

/** The shipped dialplan's route context (asterisk/extensions_connector.conf). */
export const CONNECTOR_CONTEXT = 'connector-outbound';

export interface CallTrackerEvents {
  'call-ended': [CallRecord];
}

/** `Timestamp: 1795439617.123456` when manager.conf has timestampevents=yes. */
function eventTime(e: AmiEventRecord, fallback: number): number {
  const t = e.timestamp;
  if (t === undefined) return fallback;
  const secs = Number(t);
  return Number.isFinite(secs) && secs > 0 ? Math.round(secs * 1000) : fallback;
}

/**
 * Tracks outgoing calls from AMI events and closes each one into a CallRecord. The per-event path
 * is in memory (CallTrackerCore); state changes are written behind, coalesced per call, every
 * `flushIntervalMs`, so a restart loses at most that window — and ended calls are written with
 * `crm_handoff = pending` before 'call-ended' is emitted.
 */
export class CallTracker extends EventEmitter<CallTrackerEvents> {
  private readonly core: CallTrackerCore;
  private dirty = new Set<string>();
  private ending: TrackedCall[] = [];
  /** The ended calls of the write under way (neither in memory nor in `ending` meanwhile). */
  private closing: readonly TrackedCall[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Calls the database refused to close alone, by Linkedid: how often (for the log). */
  private readonly refusals = new Map<string, number>();
  private flushing: Promise<void> | null = null;
  eventsSeen = 0;
  /** Per call, the event count when it last changed (reconcile must not close calls newer than its snapshot). */
  private readonly touched = new Map<string, number>();
  private readonly lookups = new Set<Promise<void>>();

  constructor(private readonly deps: CallTrackerDeps) {
    super();
    this.core = new CallTrackerCore(deps.connectorContext ?? CONNECTOR_CONTEXT);
  }

  /**
   * Loads the calls in flight before a restart, follows the open calls stored without a state yet
   * (placed just before the restart), and starts the write-behind timer.
   */
  async start(): Promise<void> {
    const now = this.deps.clock.now();
    for (const row of await this.deps.store.loadTracking()) {
      const state = row.state as TrackedCall | null;
      if (state && typeof state === 'object' && state.linkedid === row.linkedid && Array.isArray(state.live)) this.core.restore(state, now);
      else this.deps.logger.warn({ linkedid: row.linkedid }, 'tracker: dropping an unreadable in-flight call state');
    }
    for (const call of await this.deps.store.listOpenCalls(now)) {
      if (call.channelId !== null) this.core.follow(call.channelId, call.linkedid, now);
    }
    const interval = this.deps.flushIntervalMs ?? 200;
    if (interval > 0) {
      this.timer = setInterval(() => void this.flush(), interval);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Forgets every call in memory (leadership went to another instance, which follows them from the stored state). */
  reset(): void {
    for (const linkedid of [...this.core.calls.keys()]) this.core.forget(linkedid);
    this.dirty.clear();
    this.touched.clear();
    this.ending = [];
  }

  /** Calls in flight (memory check). */
  get openCalls(): number {
    return this.core.calls.size;
  }

  /**
   * The connector has business with this channel (a click-to-call's Originate, a route request):
   * its call is followed. Other calls (inbound, internal) leave no trace.
   */
  follow(uniqueid: string, linkedid: string | null): void {
    const result = this.core.follow(uniqueid, linkedid, this.deps.clock.now());
    if (result.kind === 'ended') {
      this.deps.logger.warn({ uniqueid, linkedid: result.call.linkedid }, 'tracker: the channel had hung up before the connector followed it; its call is closed as unseen');
      this.ending.push(result.call);
    } else if (result.kind !== 'ignored') this.changed(result.call.linkedid);
  }

  private changed(key: string): void {
    this.dirty.add(key);
    this.touched.set(key, this.eventsSeen);
  }

  /** Feed one AMI event (lowercased keys). Synchronous; never throws on odd events. */
  handle(event: AmiEventRecord): void {
    this.eventsSeen++;
    if (event.event === 'OriginateResponse') {
      const uniqueid = event.uniqueid ?? '<unknown>';
      if (uniqueid === '<unknown>' && event.actionid) {
        this.resolveOriginateResponse(event, event.actionid);
        return;
      }
      if (uniqueid !== '<unknown>' && !this.core.knowsChannel(uniqueid)) {
        // Only a connector's own Originate (this instance's or another's) can be its business, and
        // those ChannelIds carry the click-to-call prefix: the Originates of other PBX apps cost no
        // database read.
        if (uniqueid.startsWith(CLICK_TO_CALL_PREFIX)) this.resolveOriginateChannel(event, uniqueid);
        return;
      }
    }
    const result = this.core.handle(event, eventTime(event, this.deps.clock.now()));
    if (result.kind === 'ignored') return;
    const linkedid = result.call.linkedid;
    if (result.kind === 'ended') {
      this.core.forget(linkedid);
      this.dirty.delete(linkedid);
      this.touched.delete(linkedid);
      this.ending.push(result.call);
    } else {
      this.changed(linkedid);
    }
  }

  /**
   * An OriginateResponse for a channel this process did not announce: another instance may have
   * sent that Originate (several instances, one PBX leader). Its stored call makes it business.
   */
  private resolveOriginateChannel(event: AmiEventRecord, uniqueid: string): void {
    const lookup: Promise<void> = Promise.resolve(this.deps.beforeClose?.())
      .then(() => this.deps.store.findByChannelId(uniqueid))
      .then((call) => {
        if (!call || call.state === 'ended') return;
        this.follow(uniqueid, call.linkedid);
        if (this.core.knowsChannel(uniqueid)) this.handle(event);
      })
      .catch((err: unknown) => this.deps.logger.warn({ uniqueid, err }, 'tracker: OriginateResponse lookup failed'))
      .finally(() => {
        this.lookups.delete(lookup);
      });
    this.lookups.add(lookup);
  }

  /** An OriginateResponse without a Uniqueid: find the click-to-call by the Originate's ActionID. */
  private resolveOriginateResponse(event: AmiEventRecord, actionId: string): void {
    // After the route writer's pending writes: the ActionID is stored through it.
    const lookup: Promise<void> = Promise.resolve(this.deps.beforeClose?.())
      .then(() => this.deps.store.findByOriginateActionId(actionId))
      .then((call) => {
        if (call?.channelId && call.state !== 'ended') this.handle({ ...event, uniqueid: call.channelId });
      })
      .catch((err: unknown) => this.deps.logger.warn({ actionId, err }, 'tracker: OriginateResponse lookup failed'))
      .finally(() => {
        this.lookups.delete(lookup);
      });
    this.lookups.add(lookup);
  }

  /**
   * After an AMI reconnect: the Uniqueids and Linkedids of the channels still up (CoreShowChannels).
   * Calls with none of them ended while the connection was down: they are closed with what is
   * known, their end marked unseen (no talk time is counted across the outage). `snapshotAt` is `eventsSeen` when the list was asked for: a call
   * that changed since is not touched.
   */
  /** The AMI connection was (re)established: events of the calls in flight may have been missed. */
  markGap(): void {
    const now = this.deps.clock.now();
    for (const call of this.core.calls.values()) call.gapAt ??= now;
  }

  reconcile(live: ReadonlySet<string>, snapshotAt: number = Number.POSITIVE_INFINITY): void {
    const now = this.deps.clock.now();
    this.core.pruneLoose(live);
    for (const call of [...this.core.calls.values()]) {
      if (call.endedAt !== null) continue;
      if ((this.touched.get(call.linkedid) ?? 0) > snapshotAt) continue;
      if (call.linkedids.some((l) => live.has(l)) || call.live.some((u) => live.has(u))) continue;
      this.touched.delete(call.linkedid);
      call.endedAt = now;
      call.endUnseen = true;
      call.live = [];
      this.core.forget(call.linkedid);
      this.dirty.delete(call.linkedid);
      this.ending.push(call);
    }
  }

  /** `eventsSeen` and the time, taken as a reconnect's channel list is asked for. */
  snapshot(): { readonly eventsSeen: number; readonly at: number } {
    return { eventsSeen: this.eventsSeen, at: this.deps.clock.now() };
  }

  /**
   * Open calls that nothing follows: placed before `startedBefore` (by an earlier process, or
   * before the AMI connection dropped), no channel in `live` (Uniqueids and Linkedids), no state in
   * memory. Their channels came and went unseen (a crash right after the Originate, or a stored click
   * whose Originate a crash cut off); they are closed from their stored rows, as unseen, so none stays open.
   */
  async closeUnfollowed(live: ReadonlySet<string>, startedBefore: number): Promise<number> {
    const open = await this.deps.store.listOpenCalls(startedBefore);
    // Taken after the listing: a call followed until now is in memory, waiting to be closed or
    // being closed; one closed since is already ended in the store, and a second close is dropped.
    const followed = new Set<string>();
    for (const c of [...this.core.calls.values(), ...this.ending, ...this.closing]) {
      followed.add(c.linkedid);
      if (c.callerUniqueid !== null) followed.add(c.callerUniqueid);
    }
    const now = this.deps.clock.now();
    let closed = 0;
    for (const call of open) {
      const keys = [call.linkedid, call.channelId].filter((k): k is string => k !== null);
      const key = keys[0];
      if (key === undefined || keys.some((k) => live.has(k) || followed.has(k))) continue;
      this.ending.push({ ...newTrackedCall(key, call.startedAt), relevant: true, callerUniqueid: call.channelId, lastAt: now, endedAt: now });
      closed += 1;
    }
    if (closed > 0) this.deps.logger.warn({ closed }, 'tracker: calls whose channels were never seen are closed as unseen');
    return closed;
  }

  /** Writes pending state and closes ended calls; concurrent calls share one write. */
  async flush(): Promise<void> {
    if (this.lookups.size > 0) await Promise.all([...this.lookups]);
    return this.flushNow();
  }

  private flushNow(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flushNow());
    if (this.dirty.size === 0 && this.ending.length === 0) return Promise.resolve();
    this.flushing = this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const dirty = this.dirty;
    const ending = this.ending;
    this.closing = ending;
    this.dirty = new Set();
    this.ending = [];
    const save: { linkedid: string; state: unknown }[] = [];
    for (const linkedid of dirty) {
      const call = this.core.calls.get(linkedid);
      if (call) save.push({ linkedid, state: call });
    }
    let written = 0;
    const refused: TrackedCall[] = [];
    try {
      const { ended, records, dropped } = await this.close(ending);
      // Ended calls in small transactions (each with its own in-flight rows removed), so a burst
      // of hang-ups never holds the connection long while clicks wait for it.
      for (let i = 0; i === 0 || i < ended.length; i += CLOSE_CHUNK) {
        const chunk = ended.slice(i, i + CLOSE_CHUNK);
        const chunkRecords = records.slice(i, i + chunk.length);
        const gone = [...chunk.map((e) => e.tracked as TrackedCall), ...(i === 0 ? dropped : [])].map((t) => t.linkedid);
        const write: TrackingWrite = { save: i === 0 ? save : [], remove: gone, ended: chunk };
        try {
          await this.deps.store.applyTracking(write);
          for (const r of chunkRecords) this.emit('call-ended', r);
        } catch (err) {
          if (chunk.length < 2) throw err;
          refused.push(...(await this.closeOneByOne(write, chunkRecords, err)));
        }
        written = i + chunk.length;
      }
      this.ending.unshift(...refused);
    } catch (err) {
      // Keep what is not written for the next flush: nothing is lost while the database is away
      // (a call closed twice is recognised as ended and dropped).
      this.deps.logger.error({ err }, 'tracker: writing call state failed; will retry');
      if (written === 0) for (const l of dirty) if (this.core.calls.has(l)) this.dirty.add(l);
      this.ending.unshift(...ending);
    } finally {
      this.closing = [];
    }
  }

  /**
   * A chunk the database refused, call by call: one call it refuses (a constraint, a bad value)
   * must not keep every later call from closing. Returns the calls refused alone, kept for the
   * next flush; throws `chunkErr` when every one is refused (the database itself is away).
   */
  private async closeOneByOne(write: TrackingWrite, records: readonly CallRecord[], chunkErr: unknown): Promise<TrackedCall[]> {
    const own = new Set(write.ended.map((e) => (e.tracked as TrackedCall).linkedid));
    // What is no single call's (in-flight states, calls dropped) first, on its own.
    const rest = write.remove.filter((l) => !own.has(l));
    if (write.save.length > 0 || rest.length > 0) await this.deps.store.applyTracking({ save: write.save, remove: rest, ended: [] });
    const refused: TrackedCall[] = [];
    for (const [k, e] of write.ended.entries()) {
      const tracked = e.tracked as TrackedCall;
      try {
        await this.deps.store.applyTracking({ save: [], remove: [tracked.linkedid], ended: [e] });
        this.refusals.delete(tracked.linkedid);
        this.emit('call-ended', records[k] as CallRecord);
      } catch (err) {
        refused.push(tracked);
        const n = (this.refusals.get(tracked.linkedid) ?? 0) + 1;
        this.refusals.set(tracked.linkedid, n);
        // Retried at every flush: said at the first refusal and every 100th after it.
        if (n % 100 === 1) this.deps.logger.error({ err, callId: e.call.id, linkedid: tracked.linkedid, refusals: n }, 'tracker: the database refused this call\'s end; the other calls go on, this one is retried');
      }
    }
    if (refused.length === write.ended.length) throw chunkErr;
    return refused;
  }

  private async close(ending: readonly TrackedCall[]): Promise<{ ended: EndedCall[]; records: CallRecord[]; dropped: TrackedCall[] }> {
    const ended: EndedCall[] = [];
    const records: CallRecord[] = [];
    const dropped: TrackedCall[] = [];
    if (ending.length === 0) return { ended, records, dropped };
    await this.deps.beforeClose?.();
    const { store } = this.deps;
    // Calls this process routed from their start are known as stored: only the others are read.
    const inMemory = new Map<TrackedCall, { readonly call: StoredCall; readonly attempts: readonly CallAttemptRecord[] }>();
    for (const t of ending) {
      const known = t.callerUniqueid !== null ? this.deps.known?.(t.callerUniqueid) : undefined;
      if (known && known.call.linkedid === t.linkedid) inMemory.set(t, known);
    }
    const unknown = ending.filter((t) => !inMemory.has(t));
    const calls = unknown.length === 0 ? [] : await store.findForTracking(
      unknown.map((t) => t.linkedid),
      unknown.flatMap((t) => (t.callerUniqueid !== null ? [t.callerUniqueid] : [])),
    );
    const byLinkedid = new Map<string, StoredCall>();
    const byChannel = new Map<string, StoredCall>();
    for (const c of calls) {
      if (c.linkedid !== null) byLinkedid.set(c.linkedid, c);
      if (c.channelId !== null) byChannel.set(c.channelId, c);
    }
    const matched = ending.map((t) => {
      const call = inMemory.get(t)?.call ?? byLinkedid.get(t.linkedid) ?? (t.callerUniqueid !== null ? byChannel.get(t.callerUniqueid) : undefined) ?? byChannel.get(t.linkedid)
        ?? null;
      return { tracked: t, call };
    });
    const toRead = matched.flatMap((m) => (m.call && !inMemory.has(m.tracked) ? [m.call.id] : []));
    const attempts = toRead.length === 0 ? new Map<string, readonly CallAttemptRecord[]>() : await store.listAttemptsOf(toRead);
    for (const known of inMemory.values()) attempts.set(known.call.id, known.attempts);
    const pbx = await this.pbxTalk(ending);
    for (const { tracked, call } of matched) {
      // Not an outgoing connector call (an internal or inbound call), or already closed.
      if ((call === null && !tracked.relevant) || call?.state === 'ended') {
        dropped.push(tracked);
        continue;
      }
      const talk = tracked.callerUniqueid !== null ? (pbx.get(tracked.callerUniqueid) ?? null) : null;
      const { ended: e, record } = finishCall(tracked, call, call ? (attempts.get(call.id) ?? []) : [], this.deps, talk);
      ended.push(e);
      records.push(record);
    }
    return { ended, records, dropped };
  }

  /**
   * What the PBX recorded of calls the tracker saw only in part (their end unseen, or events missed
   * meanwhile). A failing read is logged; those calls then say their talk time is unknown.
   */
  private async pbxTalk(ending: readonly TrackedCall[]): Promise<ReadonlyMap<string, PbxTalk>> {
    const records = this.deps.pbxRecords;
    const wanted = ending.filter((t) => (t.endUnseen || t.gapAt !== null) && t.callerUniqueid !== null).map((t) => t.callerUniqueid as string);
    if (!records || wanted.length === 0) return new Map();
    try {
      return await records.talkOf(wanted);
    } catch (err) {
      this.deps.logger.warn({ err }, 'tracker: reading the PBX call records failed');
      return new Map();
    }
  }

}
