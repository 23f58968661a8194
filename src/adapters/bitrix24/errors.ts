/** How a failed REST call is treated by the outbox (DECISIONS §20). */
export type FailureKind = 'transient' | 'permanent';

/** A REST failure with nothing secret in it (safe to store in last_error and to log). */
export interface RestFailure {
  readonly code: string;
  readonly description: string;
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  readonly status: number;
  readonly kind: FailureKind;
}

const TRANSIENT_CODES = new Set([
  'QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'NETWORK_ERROR', 'REQUEST_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET',
  'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ERR_NETWORK', 'INTERNAL_SERVER_ERROR', 'JSSDK_CALL_ALL_ATTEMPTS_EXHAUSTED',
  // The token could not be refreshed right now (the OAuth server was unreachable): retry later.
  'expired_token', 'invalid_token',
]);

/**
 * Network errors, 5xx, 503 QUERY_LIMIT_EXCEEDED and 429 OPERATION_TIME_LIMIT are worth retrying;
 * any other answer (a 4xx or an error in a 200) is permanent: the request itself is wrong.
 */
export function classifyFailure(code: string, status: number): FailureKind {
  if (status === 0 || status >= 500 || status === 429 || status === 408) return 'transient';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  return 'permanent';
}

/** Removes anything that could be a secret: webhook paths, tokens in query strings. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/\/rest\/(api\/)?\d+\/[^/\s?#"']+/g, '/rest/$1<user>/[redacted]')
    .replace(/((?:auth|access_token|refresh_token|client_secret|application_token)=)[^&\s"']+/gi, '$1[redacted]')
    .slice(0, 500);
}

export function restFailure(code: string, description: string, status: number): RestFailure {
  return { code: scrubSecrets(code), description: scrubSecrets(description), status, kind: classifyFailure(code, status) };
}

export function describeFailure(f: RestFailure): string {
  return `${f.code}${f.status ? ` (HTTP ${f.status})` : ''}: ${f.description}`;
}

/** Bitrix24's answer to finishing a call it no longer knows (already finished, or never registered). */
export function isCallNotFound(f: RestFailure): boolean {
  return /call is not found/i.test(f.description);
}
