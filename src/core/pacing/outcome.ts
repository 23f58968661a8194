/**
 * What became of one customer call, in the seed's terms (AutoCall's retry groups). Decided from
 * the customer leg's last DIALSTATUS and Q.850 cause, and whether an operator took the call.
 */
export type CustomerOutcome =
  | 'answered' // the customer answered and an operator took the call
  | 'no-answer' // rang, nobody picked up
  | 'busy'
  | 'unreachable' // switched off, out of coverage, no such number
  | 'technical' // anything else: trunks failing, the route refused, the PBX not reachable
  | 'abandoned' // the customer answered but no operator was free: a recorded message, then hang-up
  | 'machine'; // answering-machine detection heard a machine: hung up, called again as a no-answer

export interface CustomerLegEnd {
  /** The last DIALSTATUS of the customer leg ('' when it never dialled). */
  readonly dialStatus: string;
  readonly hangupCause: number | null;
  /** An operator was bridged to the answered customer. */
  readonly operatorTook: boolean;
}

// Q.850: 1 unallocated number, 3 no route, 18 no user responding, 19 no answer (subscriber absent),
// 20 subscriber absent, 22 number changed, 27 destination out of order, 28 invalid number format.
const UNREACHABLE_CAUSES: ReadonlySet<number> = new Set([1, 3, 18, 19, 20, 22, 27, 28]);

export function classifyCustomerLeg(end: CustomerLegEnd): CustomerOutcome {
  const status = end.dialStatus.toUpperCase();
  if (status === 'ANSWER') return end.operatorTook ? 'answered' : 'abandoned';
  if (status === 'BUSY') return 'busy';
  if (status === 'NOANSWER') return end.hangupCause !== null && UNREACHABLE_CAUSES.has(end.hangupCause) && end.hangupCause !== 19 ? 'unreachable' : 'no-answer';
  if (end.hangupCause !== null && UNREACHABLE_CAUSES.has(end.hangupCause)) return 'unreachable';
  if (end.hangupCause === 17) return 'busy';
  return 'technical';
}
