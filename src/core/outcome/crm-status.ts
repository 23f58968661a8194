/** The CRM status codes `telephony.externalCall.finish` understands (the ones this product sends). */
export type CrmStatusCode = '200' | '304' | '402' | '403' | '404' | '480' | '486' | '503' | '603' | '603-S' | 'OTHER';

/**
 * The connector's DIALSTATUS for a trunk leg whose end it never saw: it was dialled, then the
 * call was gone when the connector (re)connected to AMI. Answered or not is unknown.
 */
export const UNSEEN_DIAL_STATUS = 'UNSEEN';

/** FAILED_REASON of a call whose end the connector did not see. */
export const UNSEEN_REASON = 'the call ended while the connector was not following the PBX: whether the callee answered was not seen';

/** One dial attempt as it ended. */
export interface AttemptOutcome {
  readonly dialStatus: string;
  readonly hangupCause: number | null;
}

/** How a call ended, from the connector's point of view. */
export type CallEnd =
  | { readonly kind: 'refused-policy'; readonly reason: string }
  | { readonly kind: 'invalid-number'; readonly reason: string }
  /** The manager's own phone never answered (OriginateResponse Failure). */
  | { readonly kind: 'manager-not-answered'; readonly reason: string }
  /** The manager hung up before the client answered. */
  | { readonly kind: 'manager-cancelled' }
  /** No channel of the call was ever seen: it was placed, then gone before AMI was followed again. */
  | { readonly kind: 'unseen' }
  /** The route ran: the attempts in order; `stoppedOn` is the attempt that ended the route. */
  | { readonly kind: 'routed'; readonly attempts: readonly AttemptOutcome[]; readonly exhausted: boolean };

export interface CrmStatus {
  readonly code: CrmStatusCode;
  readonly failedReason: string | null;
}

/**
 * STATUS_CODE for telephony.externalCall.finish (DECISIONS §17). Always explicit: the Bitrix24
 * default (200 if DURATION > 0 else 304) mislabels failed calls as missed.
 */
export function crmStatusFor(end: CallEnd): CrmStatus {
  switch (end.kind) {
    case 'refused-policy':
      return { code: '403', failedReason: end.reason };
    case 'invalid-number':
      return { code: '404', failedReason: end.reason };
    case 'manager-not-answered':
      return { code: '603-S', failedReason: end.reason };
    case 'manager-cancelled':
      return { code: '603-S', failedReason: null };
    case 'unseen':
      return { code: 'OTHER', failedReason: UNSEEN_REASON };
    case 'routed':
      return routedStatus(end.attempts, end.exhausted);
  }
}

function routedStatus(attempts: readonly AttemptOutcome[], exhausted: boolean): CrmStatus {
  const last = attempts[attempts.length - 1];
  if (!last) return { code: 'OTHER', failedReason: 'no attempt was dialled' };
  const status = last.dialStatus.toUpperCase();
  const cause = last.hangupCause ?? 0;
  if (status === 'ANSWER') return { code: '200', failedReason: null };
  if (status === 'BUSY') return { code: '486', failedReason: null };
  if (status === 'NOANSWER') return { code: '304', failedReason: null };
  if (status === 'CANCEL') return { code: '603-S', failedReason: null };
  if (status === UNSEEN_DIAL_STATUS) return { code: 'OTHER', failedReason: UNSEEN_REASON };
  if (status === 'CHANUNAVAIL' || status === 'CONGESTION') {
    if (exhausted) {
      const allNoCredit = attempts.every((a) => (a.hangupCause ?? 0) === 68);
      return allNoCredit
        ? { code: '402', failedReason: 'every trunk reported insufficient credit (cause 68)' }
        : { code: '503', failedReason: `every attempt failed technically (last: ${status}, cause ${cause})` };
    }
    if (cause === 21) return { code: '603', failedReason: 'call rejected (cause 21)' };
    if (cause === 1 || cause === 28) return { code: '404', failedReason: `invalid number (cause ${cause})` };
    if (cause === 18 || cause === 19) return { code: '480', failedReason: `temporarily unavailable (cause ${cause})` };
    if (cause === 22 || cause === 23) return { code: '404', failedReason: `number changed (cause ${cause})` };
  }
  return { code: 'OTHER', failedReason: `${status || 'unknown status'}, cause ${cause}` };
}
