import type { StoredCrmEvent } from '../../adapters/db/repositories/crm-events-repository.ts';
import type { NewCall } from '../calls/ports.ts';
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
}

export type ClickToCallResult =
  | { readonly status: 'originated' }
  /** The same CALL_ID was dialled before: nothing new was done. */
  | { readonly status: 'duplicate' }
  /** Not dialled: the routing refused (code from RefusalCode, message names line/department). */
  | { readonly status: 'refused'; readonly code: string; readonly message: string };

/** The click-to-call use case of the PBX side (src/app/calls/click-to-call.ts), wired by the composition root. */
export interface ClickToCallPort {
  /** Plans, stores and dials (idempotent by CRM call id: a repeat is not dialled again). */
  originate(request: ClickToCallRequest): Promise<ClickToCallResult>;
  /** Plans without storing: the caller stores `call` (with its event, in one transaction), then `dial`s. */
  plan(request: ClickToCallRequest): ClickPlan;
  /** Dials a plan whose call is stored; a refused plan comes back refused. */
  dial(plan: Exclude<ClickPlan, { readonly ok: false }>): Promise<ClickToCallResult>;
  /** Whether the PBX side holds a call for this CRM call: it was (or may have been) dialled. */
  placed(crmCallId: string): Promise<boolean>;
}

/** A click planned in memory: the call row to store with its event, or why it is not valid. */
export type ClickPlan =
  | { readonly ok: true; readonly call: NewCall; readonly planned: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** A Bitrix24 event as stored before its reply. */
export interface NewCrmEvent {
  readonly event: string;
  readonly eventKey: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly ts: number | null;
}

/** A click to store: its event and, when it is to be dialled, its call. */
export interface NewClick {
  readonly event: NewCrmEvent;
  readonly receivedAt: number;
  readonly call: NewCall | null;
}

/** What storing a click did. */
export interface StoredClick {
  /** The event, taken for processing; null when it is stored already (a repeated delivery). */
  readonly event: StoredCrmEvent | null;
  /** False when there was no call, the event was a repeat, or a call of that CRM call id is stored already. */
  readonly callCreated: boolean;
}

/**
 * Stores a click's event and call atomically, before its Originate (so a stop at any moment leaves
 * both or neither). Clicks asked for while one batch commits may share the next commit; a click
 * whose writes fail is tried again alone, so only its asker sees the error.
 */
export interface ClickIntake {
  store(click: NewClick): Promise<StoredClick>;
}

/** The STATUS_CODE a refused click-to-call is finished with (DECISIONS §7, §17). */
export function refusalStatusCode(code: string): '403' | '404' | '503' {
  if (code === 'INVALID_NUMBER') return '404';
  // A manual line that is disabled or full: the call ends with 503 naming the line (DECISIONS §7).
  if (code === 'LINE_UNAVAILABLE') return '503';
  // The PBX could not be asked to dial (AMI down): the direction is unavailable.
  if (code === 'ORIGINATE_FAILED') return '503';
  // Too old (or stamped too far ahead) to ring anyone: not dialled, like an unavailable direction.
  if (code === 'STALE_CLICK') return '503';
  return '403';
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
