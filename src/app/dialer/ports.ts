import type { DncEntry } from '../../core/pacing/dnc.ts';
import type { CustomerOutcome } from '../../core/pacing/outcome.ts';
import type { LeadHold } from '../../core/pacing/choose-lead.ts';
import type { LeadNext } from '../../core/pacing/retry-plan.ts';
import type { DialMode } from '../../core/pacing/settings.ts';
import type { Campaign, CampaignProgress, CampaignStatus, DialerAttempt, Lead, NewLead, Operator, StartedAttempt } from './model.ts';

export type { StartedAttempt } from './model.ts';

export interface CampaignStore {
  listCampaigns(status?: CampaignStatus): Promise<Campaign[]>;
  getCampaign(id: string): Promise<Campaign | null>;
  /** Creates or replaces a campaign with its operator team. */
  saveCampaign(campaign: Campaign): Promise<void>;
  setStatus(id: string, status: CampaignStatus, at: number): Promise<boolean>;
  progress(id: string): Promise<CampaignProgress>;
}

export interface OperatorStore {
  listOperators(ids?: readonly string[]): Promise<Operator[]>;
  saveOperator(op: Pick<Operator, 'id' | 'name' | 'dial' | 'stateDevice'>, at: number): Promise<void>;
  /** On or off line; false when no such operator. */
  setOnline(id: string, online: boolean, reason: string | null, at: number): Promise<boolean>;
  /** Holds a free operator for a call, atomically (only if not held already). */
  hold(id: string, callId: string, at: number): Promise<boolean>;
  /** Lets the operator go, if still held for this call. */
  release(id: string, callId: string, at: number): Promise<void>;
}

export interface EndedAttempt {
  readonly outcome: CustomerOutcome;
  readonly dialStatus: string | null;
  readonly hangupCause: number | null;
  readonly endedAt: number;
}

export interface LeadStore {
  /** Adds leads; a number already in the campaign is skipped (counted as a duplicate). */
  addLeads(campaignId: string, leads: readonly NewLead[], at: number): Promise<{ readonly added: number; readonly duplicates: number }>;
  /** Pending leads due at `now`: reserved retries first, then leads called before, then the longest waiting. */
  dueLeads(campaignId: string, now: number, limit: number): Promise<Lead[]>;
  /** Start instants of the attempts made to these leads (for the caps). */
  attemptStarts(leadIds: readonly string[]): Promise<Map<string, number[]>>;
  applyHolds(holds: readonly LeadHold[]): Promise<void>;
  /** The lead goes to `calling` and its attempt row is written, in one transaction. */
  startAttempt(attempt: StartedAttempt): Promise<void>;
  markAnswered(callId: string, at: number): Promise<void>;
  /**
   * Closes the attempt (once: false when already closed or unknown) and moves its lead to `next`:
   * pending again at the retry time, or done.
   */
  endAttempt(callId: string, end: EndedAttempt, next: (lead: Lead) => LeadNext): Promise<{ readonly attempt: DialerAttempt; readonly lead: Lead } | null>;
  openAttempts(): Promise<DialerAttempt[]>;
  getAttempt(callId: string): Promise<DialerAttempt | null>;
  getLead(id: string): Promise<Lead | null>;
  listLeads(campaignId: string, limit: number): Promise<Lead[]>;
}

export interface DncStore {
  listDnc(): Promise<DncEntry[]>;
  addDnc(entries: readonly (DncEntry & { readonly note?: string | null })[], at: number): Promise<number>;
  removeDnc(entry: DncEntry): Promise<boolean>;
}

/** One customer call as the PBX is asked to place it (AMI Originate). */
export interface DialerOriginate {
  readonly mode: DialMode;
  readonly callId: string;
  /** The Originate's ChannelId (the channel the route requests come from in preview). */
  readonly channelId: string;
  readonly otherChannelId: string;
  /** E.164 digits of the customer. */
  readonly digits: string;
  /** Null for a ratio/predictive call: the operator is given when the customer answers (`assignOperator`). */
  readonly operator: Pick<Operator, 'id' | 'dial' | 'stateDevice'> | null;
  readonly campaignId: string;
  readonly leadId: string;
  /** How long the customer's phone rings (seconds). */
  readonly ringSeconds: number;
  /** How long the operator's phone rings in preview, and when bridged (seconds). */
  readonly operatorRingSeconds: number;
  /** Answering-machine detection on the customer leg. */
  readonly amd?: boolean;
}

export interface DialerPbx {
  readonly connected: boolean;
  originate(request: DialerOriginate): Promise<void>;
  /** Device states (NOT_INUSE, INUSE, RINGING, UNAVAILABLE, UNKNOWN…) by device. */
  deviceStates(devices: readonly string[]): Promise<Map<string, string>>;
  /** Ratio/predictive: the customer answered and waits; this operator takes them (the call's Originate channel). */
  assignOperator?(channelId: string, operator: Pick<Operator, 'id' | 'dial' | 'stateDevice'>): Promise<void>;
}

/** What the PBX reports about a dialer call (from the shipped extensions_dialer.conf). */
export type DialerPbxEvent =
  | { readonly kind: 'answered'; readonly callId: string }
  | { readonly kind: 'bridged'; readonly callId: string; readonly operatorId: string }
  | { readonly kind: 'operator-missed'; readonly callId: string; readonly operatorId: string; readonly dialStatus: string }
  | { readonly kind: 'abandoned'; readonly callId: string }
  | { readonly kind: 'machine'; readonly callId: string }
  | { readonly kind: 'customer-end'; readonly callId: string; readonly dialStatus: string; readonly hangupCause: number | null }
  | { readonly kind: 'originate-failed'; readonly callId: string; readonly reason: string };

/** The lead's card in Bitrix24 for the operator. */
export interface LeadCard {
  /**
   * Registers the outgoing call with the operator and the CRM entity durably (the CRM outbox): it
   * reaches Bitrix24 however long the portal is down, and the call's finish waits for it. Returns
   * once stored, never waiting for the CRM.
   */
  register(input: { readonly callId: string; readonly operatorId: string; readonly e164: string; readonly entityType: string | null; readonly entityId: string | null; readonly externalId: string; readonly at: number }): Promise<void>;
  /** Opens the card on the operator's screen once the register went through; false when that took longer than `deadlineMs`. */
  show(input: { readonly callId: string; readonly operatorId: string }, deadlineMs: number): Promise<boolean>;
}

/** The customer leg handed to the connector's outbound routing (cheapest trunk, rotation, caller ID). */
export interface CustomerLegs {
  /** Plans and stores the call; refused = the routing refused it (nothing is dialled). */
  plan(input: { readonly callId: string; readonly channelId: string; readonly number: string; readonly department: string; readonly operatorId: string; readonly crmCallId: string | null }):
    Promise<{ readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string }>;
}

/** What ratio and predictive pacing read and write beyond the call cycle's own. */
export interface PacingStore {
  /** The campaign's attempts since `since`: answered by the customer, abandoned, hung up on as machines. */
  abandonCounts(campaignId: string, since: number): Promise<{ readonly answered: number; readonly abandoned: number; readonly machines: number }>;
  /**
   * The campaign's latest ended calls placed customer first, newest first — all of them, or only
   * those with this outcome: the pacing's estimates are rebuilt from them after a restart.
   */
  recentEndedAttempts(campaignId: string, limit: number, outcome?: CustomerOutcome): Promise<DialerAttempt[]>;
  /** A ratio/predictive call's operator, once one took it. */
  setAttemptOperator(callId: string, operatorId: string): Promise<void>;
}

export type DialerStore = CampaignStore & OperatorStore & LeadStore & DncStore & PacingStore;
