/**
 * What the tracker knows about one call (one Linkedid), built from AMI events. Plain JSON data:
 * it is persisted as is so a restart in the middle of a call loses nothing.
 */
export interface TrackedLeg {
  /** Uniqueid of the dialled (trunk) channel. */
  readonly uniqueid: string;
  /** DialBegin's DialString (`79161234567@trunk` for `Local/79161234567@trunk`). */
  readonly dialString: string;
  readonly begunAt: number;
  /** DialEnd's DialStatus (misleading for causes 21/38/41/68: prefer the DIALSTATUS variable). */
  dialEnd: string | null;
  /** The DIALSTATUS variable set on the caller's channel after this leg was dialled. */
  dialStatusVar: string | null;
  answeredAt: number | null;
  endedAt: number | null;
  cause: number | null;
}

export interface ReportedAttempt {
  readonly attempt: number;
  readonly dialStatus: string;
  readonly cause: number | null;
}

export interface TrackedCall {
  /** The Linkedid the call was first seen with: its key, never changed. */
  readonly linkedid: string;
  /**
   * Every Linkedid whose channels belong to this call: bridging rewrites a channel's Linkedid to
   * the oldest of the bridge (transfers), so a call may gather several (DECISIONS §16).
   */
  linkedids: string[];
  readonly firstAt: number;
  lastAt: number;
  /** Uniqueids of the channels of this call still up. */
  live: string[];
  /** Channels ever seen. */
  channels: number;
  /** A call the connector has business with (always true for a followed call; kept for stored states). */
  relevant: boolean;
  /** The channel running the connector context (the caller's side of every trunk leg). */
  callerUniqueid: string | null;
  /** ${EXTEN} of the connector context: the number dialled. */
  exten: string | null;
  /** The caller's number on that channel (its extension for a desk phone). */
  callerNum: string | null;
  legs: TrackedLeg[];
  /** ConnectorAttempt UserEvents (every attempt except the one that ended the call). */
  reported: ReportedAttempt[];
  failOpen: boolean;
  /** OriginateResponse: null = not seen. */
  originate: { readonly response: string; readonly reason: string } | null;
  /** ANSWEREDTIME of the last answered Dial, seconds (exact talk time from Asterisk). */
  answeredTime: number | null;
  recording: string | null;
  /** Cdr cross-check only (DECISIONS §16): the largest BillableSeconds seen. */
  cdrBillable: number | null;
  endedAt: number | null;
  /** When events of this call may have been missed (a restart, an AMI reconnect): null = none. */
  gapAt: number | null;
  /** Closed because its channels were gone from the PBX's list: its last Hangup was not seen. */
  endUnseen: boolean;
}

export function newTrackedCall(linkedid: string, at: number): TrackedCall {
  return {
    linkedid, linkedids: [linkedid], firstAt: at, lastAt: at, live: [], channels: 0, relevant: true, callerUniqueid: null, exten: null,
    callerNum: null, legs: [], reported: [], failOpen: false, originate: null, answeredTime: null, recording: null,
    cdrBillable: null, endedAt: null, gapAt: null, endUnseen: false,
  };
}
