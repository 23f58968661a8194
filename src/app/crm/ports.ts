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
  originate(request: ClickToCallRequest): Promise<ClickToCallResult>;
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
