import type { CallOrigin } from '../../core/rules/model.ts';

/** What a Bitrix24 click (or callback) asks the PBX side to dial. */
export interface ClickToCallRequest {
  /** Bitrix24 CALL_ID: the call is already registered in the CRM. */
  readonly crmCallId: string;
  readonly userId: string;
  readonly extension: string | null;
  /** PHONE_NUMBER_INTERNATIONAL when present, else PHONE_NUMBER (DECISIONS §1). */
  readonly number: string;
  readonly numberIsInternational: boolean;
  readonly origin: Extract<CallOrigin, 'crm' | 'mobile'>;
  /** LINE_NUMBER: the manager's manual line; null / `auto` = automatic. */
  readonly line: string | null;
  /** A fresh event seen for the first time: the dial need not wait for the database (a dial journal is kept). */
  readonly knownNew?: boolean;
}

export type ClickToCallResult =
  | { readonly status: 'originated' }
  /** The same CALL_ID was dialled before: nothing new was done. */
  | { readonly status: 'duplicate' }
  /** Not dialled: the routing refused (code from RefusalCode, message names line/department). */
  | { readonly status: 'refused'; readonly code: string; readonly message: string };

/** The click-to-call use case of the PBX side (src/app/calls/click-to-call.ts), wired by the composition root. */
export interface ClickToCallPort {
  originate(request: ClickToCallRequest): Promise<ClickToCallResult>;
  /** Whether the PBX side holds a call for this CRM call (stored or journaled): it was dialled. */
  placed(crmCallId: string): Promise<boolean>;
}

/** The STATUS_CODE a refused click-to-call is finished with (DECISIONS §7, §17). */
export function refusalStatusCode(code: string): '403' | '404' | '503' {
  if (code === 'INVALID_NUMBER') return '404';
  // A manual line that is disabled or full: the call ends with 503 naming the line (DECISIONS §7).
  if (code === 'LINE_UNAVAILABLE') return '503';
  // The PBX could not be asked to dial (AMI down): the direction is unavailable.
  if (code === 'ORIGINATE_FAILED') return '503';
  return '403';
}

/** A fresh event as journaled before its reply (what CrmEventsRepository.record stores). */
export interface JournaledEvent {
  readonly event: string;
  readonly eventKey: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly ts: number | null;
  readonly receivedAt: number;
}

/**
 * Fresh events on local disk before their reply, so the reply need not wait for the database:
 * a restart stores what was answered and not yet written, and handles it then.
 */
export interface EventJournal {
  /** Synchronous: when it returns, the event survives a crash of the process. */
  record(event: JournaledEvent): void;
  /** The event's row is in the database. */
  settle(event: string, eventKey: string): void;
  /** False while the database is failing to keep up (entries wait long): take the careful path. */
  accepting(): boolean;
}

/** What Bitrix24's OAuth server answered for a refresh token: a new token pair, and whose portal it is. */
export interface OAuthGrant {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Unix seconds. */
  readonly expires: number;
  readonly expiresIn: number;
  readonly memberId: string;
  /** The portal's REST endpoint (the answer's `domain` is the OAuth server's own, never the portal's). */
  readonly clientEndpoint: string;
  readonly serverEndpoint: string;
  readonly scope: string;
  readonly status: string;
  readonly userId: string;
}

export type OAuthExchange =
  | { readonly ok: true; readonly grant: OAuthGrant }
  /** `refused`: the server said no (unknown or used-up token, wrong client); otherwise it could not be asked. */
  | { readonly ok: false; readonly refused: boolean; readonly status: number; readonly reason: string };

/** Bitrix24's OAuth server. An exchange uses the refresh token up: store the new pair at once (DECISIONS §32). */
export interface OAuthServer {
  exchange(refreshToken: string): Promise<OAuthExchange>;
}
