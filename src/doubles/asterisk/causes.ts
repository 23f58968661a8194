/** Q.850 cause names as Asterisk prints them in `Cause-txt` (ast_cause2str); unnamed codes are "Unknown". */
const CAUSE_TEXT: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  2: 'No route to specified transmit network',
  3: 'No route to destination',
  6: 'Channel unacceptable',
  7: 'Call awarded and being delivered in an established channel',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  20: 'Subscriber absent',
  21: 'Call Rejected',
  22: 'Number changed',
  23: 'Redirected to new destination',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format',
  29: 'Facility rejected',
  30: 'Response to STATus ENQuiry',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  43: 'Access information discarded',
  44: 'Requested channel not available',
  50: 'Requested facility not subscribed',
  52: 'Outgoing call barred',
  54: 'Incoming call barred',
  57: 'Bearer capability not authorized',
  58: 'Bearer capability not available',
  65: 'Bearer capability not implemented',
  66: 'Channel not implemented',
  69: 'Facility not implemented',
  81: 'Invalid call reference value',
  88: 'Incompatible destination',
  95: 'Invalid message unspecified',
  96: 'Mandatory information element is missing',
  97: 'Message type nonexist.',
  98: 'Wrong message',
  99: 'Info. element nonexist or not implemented',
  100: 'Invalid information element contents',
  101: 'Message not compatible with call state',
  102: 'Recover on timer expiry',
  103: 'Mandatory IE length error',
  111: 'Protocol error, unspecified',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? 'Unknown';
}

/**
 * DialEnd's `DialStatus` for a dialled channel that hung up with `cause` before answer
 * (hangup_cause_to_dial_status in Asterisk): most causes show as NOANSWER here.
 */
export function dialEndStatusForCause(cause: number): string {
  if (cause === 17) return 'BUSY';
  if (cause === 34) return 'CONGESTION';
  if (cause === 3 || cause === 20) return 'CHANUNAVAIL';
  return 'NOANSWER';
}

/**
 * The `DIALSTATUS` variable app_dial sets when its only peer hung up with `cause` (handle_cause):
 * busy and congestion are named, 16/19 leave the default NOANSWER, everything else is CHANUNAVAIL.
 * This is why causes 21, 41 and 68 show DialEnd NOANSWER but DIALSTATUS CHANUNAVAIL.
 */
export function dialStatusVariableForCause(cause: number): string {
  if (cause === 17) return 'BUSY';
  if (cause === 34) return 'CONGESTION';
  if (cause === 16 || cause === 19) return 'NOANSWER';
  return 'CHANUNAVAIL';
}

/** Cdr Disposition of a Dial attempt, as cdr_manager shows it on the caller's channel. */
export function cdrDisposition(dialStatus: string): string {
  switch (dialStatus) {
    case 'ANSWER':
      return 'ANSWERED';
    case 'BUSY':
      return 'BUSY';
    case 'CONGESTION':
      return 'FAILED';
    default:
      return 'NO ANSWER';
  }
}
