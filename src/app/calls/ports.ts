import type { CrmStatusCode } from '../../core/outcome/crm-status.ts';
import type { RefusalCode } from '../../core/routing/types.ts';
import type { PbxTalk } from '../../core/calls/summarize.ts';
import type { CallOrigin, OutcomeDecision } from '../../core/rules/model.ts';
import type {
  CallAttemptRecord, CallRecord, CallState, CrmHandoff, OutcomeSource, StoredCall, StoredPlan,
} from './call-record.ts';

/** A new call row. */
export interface NewCall {
  readonly id: string;
  readonly crmCallId: string | null;
  readonly channelId: string | null;
  readonly linkedid: string | null;
  readonly origin: CallOrigin;
  readonly userId: string | null;
  readonly extension: string | null;
  readonly number: string;
  readonly numberE164: string | null;
  readonly line: string | null;
  readonly state: CallState;
  readonly plan: StoredPlan | null;
  readonly refusalCode: RefusalCode | null;
  readonly refusalMessage: string | null;
  readonly startedAt: number;
}

/** A new attempt row: what the route request answered (its outcome comes later). */
export type NewAttempt = Pick<
  CallAttemptRecord,
  'attemptNo' | 'planIndex' | 'trunkId' | 'dial' | 'callerId' | 'tier' | 'perMinute' | 'linkedid' | 'startedAt'
> & { readonly callId: string };

export interface AttemptOutcomeUpdate {
  readonly dialStatus: string;
  readonly hangupCause: number | null;
  readonly decision: OutcomeDecision | null;
  readonly source: OutcomeSource;
  readonly endedAt: number | null;
}

export interface CallUpdate {
  readonly linkedid?: string | null;
  readonly originateActionId?: string | null;
  readonly state?: CallState;
  readonly stopReason?: string | null;
  readonly statusCode?: CrmStatusCode | null;
  readonly failedReason?: string | null;
  readonly endedAt?: number | null;
  readonly crmHandoff?: CrmHandoff;
  /** A dialer call's CRM call and operator, known only once an operator took it (ratio, predictive). */
  readonly crmCallId?: string | null;
  readonly userId?: string | null;
}

/** A call the tracker closed: its final fields, plus attempts learnt only from AMI. */
export interface EndedCall {
  readonly call: NewCall;
  readonly statusCode: CrmStatusCode;
  readonly failedReason: string | null;
  readonly trunkId: string | null;
  readonly b24Line: string | null;
  readonly answeredAt: number | null;
  readonly endedAt: number;
  readonly durationSec: number;
  readonly cost: number | null;
  readonly recording: string | null;
  readonly tracked: unknown;
  readonly crmHandoff: CrmHandoff;
  /** Attempts no route request stored (a fail-open dial). */
  readonly newAttempts: readonly CallAttemptRecord[];
  /** Outcomes of stored attempts learnt from AMI (the attempt that ended the call). */
  readonly attemptOutcomes: readonly { readonly attemptNo: number; readonly outcome: AttemptOutcomeUpdate }[];
}

export interface TrackingWrite {
  readonly save: readonly { readonly linkedid: string; readonly state: unknown }[];
  readonly remove: readonly string[];
  readonly ended: readonly EndedCall[];
}

/** One route request's writes (applied together, in one transaction with others queued). */
export interface RouteStepWrite {
  readonly callId: string;
  readonly newCall?: NewCall;
  readonly outcome?: { readonly attemptNo: number; readonly outcome: AttemptOutcomeUpdate };
  readonly attempt?: NewAttempt;
  readonly update?: CallUpdate;
}

/** Persistence of calls (CallsRepository implements it on SQLite and PostgreSQL). */
export interface CallStore {
  createCall(call: NewCall): Promise<{ readonly call: StoredCall; readonly created: boolean }>;
  getCall(id: string): Promise<StoredCall | null>;
  findByCrmCallId(crmCallId: string): Promise<StoredCall | null>;
  findByChannelId(channelId: string): Promise<StoredCall | null>;
  findByLinkedid(linkedid: string): Promise<StoredCall | null>;
  findByOriginateActionId(actionId: string): Promise<StoredCall | null>;
  findByChannelId(channelId: string): Promise<StoredCall | null>;
  findForTracking(linkedids: readonly string[], channelIds: readonly string[]): Promise<StoredCall[]>;
  listAttemptsOf(callIds: readonly string[]): Promise<Map<string, CallAttemptRecord[]>>;
  findCall(key: string): Promise<StoredCall | null>;
  updateCall(id: string, update: CallUpdate): Promise<void>;
  addAttempt(attempt: NewAttempt): Promise<boolean>;
  /** Returns the ids of calls whose steps were left out: their new call was stored already. */
  applyRouteSteps(writes: readonly RouteStepWrite[]): Promise<readonly string[]>;
  setAttemptOutcome(callId: string, attemptNo: number, outcome: AttemptOutcomeUpdate): Promise<void>;
  listAttempts(callId: string): Promise<CallAttemptRecord[]>;
  listCalls(options: { readonly limit: number }): Promise<StoredCall[]>;
  /** Calls not ended, started before `startedBefore`, except click-to-calls refused before any dial. */
  listOpenCalls(startedBefore: number): Promise<StoredCall[]>;
  applyTracking(write: TrackingWrite): Promise<void>;
  loadTracking(): Promise<{ readonly linkedid: string; readonly state: unknown }[]>;
  getRecord(callId: string): Promise<CallRecord | null>;
}

/** What the click-to-call use case asks of the AMI client (a subset of AmiClient's OriginateRequest). */
export interface OriginateRequest {
  /** e.g. `PJSIP/100` or `Local/100@from-internal`: the manager's phone, rung first. */
  readonly channel: string;
  readonly context: string;
  /** The client's number, digits only. */
  readonly exten: string;
  /** Dialplan priority as AMI sends it (`1`). */
  readonly priority: string;
  /** Ring time of the manager's phone, ms. */
  readonly timeoutMs: number;
  /** `"Name" <num>` shown on the manager's phone. */
  readonly callerId: string;
  /** Pre-assigned Uniqueid (≤ 149 chars, unique per Originate; DECISIONS §24). */
  readonly channelId: string;
  readonly otherChannelId: string;
  /** Channel variables (values must not contain commas: Asterisk splits on them). */
  readonly variables: Readonly<Record<string, string>>;
}

export interface Originator {
  /** Sends an Async Originate; resolves once Asterisk queued it (the outcome comes as OriginateResponse). */
  originate(request: OriginateRequest): Promise<{ readonly actionId: string }>;
}

/**
 * The PBX's own stored call records (a CDR backend), read for calls whose end or answer the
 * tracker did not see (DECISIONS §31).
 */
export interface PbxRecords {
  /** By the Uniqueid of the channel that dialled: whether a Dial of it was answered, and its talk time. */
  talkOf(uniqueids: readonly string[]): Promise<ReadonlyMap<string, PbxTalk>>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Trunk channels in use, shared by every instance through the database. */
export interface ChannelStore {
  /** Channels in use per trunk: the attempts not ended of calls being routed (started at or after `since`), on every instance. */
  busyByTrunk(since: number): Promise<Map<string, number>>;
  /**
   * Atomically claims a trunk's last free channel for a call, for `holdMs` of the database's
   * clock; false when another call holds a claim on that trunk that has not expired.
   */
  claimLast(trunkId: string, callId: string, holdMs: number): Promise<boolean>;
  /** Shortens (or lengthens) the call's claim to `holdMs` from now; nothing when the claim is gone. */
  holdClaim(trunkId: string, callId: string, holdMs: number): Promise<void>;
}
