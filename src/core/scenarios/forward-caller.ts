/**
 * A scenario's forward to an external number runs the outbound route loop with CONNECTOR_EXTEN set
 * to `inbound/DEPARTMENT` (extensions_inbound.conf): the route request is placed on no employee's
 * behalf, with that department's trunk policy and origin `inbound` (DECISIONS §8, §13).
 */
export const FORWARD_CALLER_PREFIX = 'inbound/';

/** The department of a forward's caller marker; null when the caller is a phone (or the marker names none). */
export function forwardDepartment(callerExtension: string | null): string | null {
  if (callerExtension === null || !callerExtension.startsWith(FORWARD_CALLER_PREFIX)) return null;
  const department = callerExtension.slice(FORWARD_CALLER_PREFIX.length).trim();
  return department === '' ? null : department;
}

export function isForwardCaller(callerExtension: string | null): boolean {
  return callerExtension !== null && callerExtension.startsWith(FORWARD_CALLER_PREFIX);
}
