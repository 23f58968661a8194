import type { CustomerOutcome } from '../../core/pacing/outcome.ts';
import type { DialMode, PacingSettings } from '../../core/pacing/settings.ts';

export type CampaignStatus = 'draft' | 'running' | 'paused' | 'stopped';

/** Where a campaign's numbers come from (the CLI and API import them into leads). */
export type CampaignSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'bitrix24-leads'; readonly filter: Readonly<Record<string, string>> }
  | { readonly kind: 'bitrix24-deals'; readonly filter: Readonly<Record<string, string>> }
  | { readonly kind: 'bitrix24-call-list'; readonly listId: number; readonly status?: string };

export interface Campaign {
  readonly id: string;
  readonly name: string;
  readonly status: CampaignStatus;
  /** The department whose trunk policy and caller-ID numbers the customer legs take (DECISIONS §8). */
  readonly department: string;
  readonly operators: readonly string[];
  readonly settings: PacingSettings;
  readonly source: CampaignSource | null;
  readonly createdAt: number;
}

export interface Operator {
  /** Bitrix24 user id: the lead's card opens for this user. */
  readonly id: string;
  readonly name: string | null;
  /** What Asterisk dials to reach the operator's phone, e.g. `PJSIP/101`. */
  readonly dial: string;
  /** The device whose state tells "free" (`PJSIP/101`; `Custom:…` for phones that report none). */
  readonly stateDevice: string;
  readonly online: boolean;
  /** The customer call the dialer holds this operator for; null = not held. */
  readonly callId: string | null;
  readonly offlineReason: string | null;
}

export type LeadStatus = 'pending' | 'calling' | 'done' | 'blocked';

export interface Lead {
  readonly id: string;
  readonly campaignId: string;
  readonly number: string;
  /** E.164 digits. */
  readonly digits: string;
  readonly entityType: string | null;
  readonly entityId: string | null;
  readonly title: string | null;
  readonly status: LeadStatus;
  readonly nextAt: number;
  readonly attempts: number;
  readonly lastOutcome: CustomerOutcome | null;
  readonly reserveOperator: boolean;
  readonly note: string | null;
}

export interface NewLead {
  readonly number: string;
  readonly digits: string;
  readonly entityType: string | null;
  readonly entityId: string | null;
  readonly title: string | null;
}

/** A customer call of a campaign as it is placed. */
export interface StartedAttempt {
  readonly leadId: string;
  readonly campaignId: string;
  readonly operatorId: string | null;
  readonly callId: string;
  readonly mode: DialMode;
  readonly startedAt: number;
}

export interface DialerAttempt extends StartedAttempt {
  readonly answeredAt: number | null;
  readonly endedAt: number | null;
  readonly outcome: CustomerOutcome | null;
}

export interface CampaignProgress {
  readonly leads: Readonly<Record<LeadStatus, number>>;
  readonly outcomes: Readonly<Partial<Record<CustomerOutcome, number>>>;
  readonly attempts: number;
}
