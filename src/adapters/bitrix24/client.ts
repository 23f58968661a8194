import { ApiVersion, B24Hook, B24OAuth, SdkError, type B24OAuthParams, type RestrictionParams, type TypeB24 } from '@bitrix24/b24jssdk';
import type { PortalRecord, PortalTokens } from '../../app/crm/portal-record.ts';

/**
 * SDK settings for the connector: one attempt per call (the durable outbox retries, and
 * `register` is not idempotent — DECISIONS §20) and no SDK-side throttling (the outbox has its
 * own limiter with an injectable clock, so the same limits hold in tests and benchmarks).
 */
export const SDK_RESTRICTIONS: Partial<RestrictionParams> = {
  maxRetries: 1,
  retryOnNetworkError: false,
  rateLimit: { burstLimit: 1_000_000, drainRate: 1_000_000, adaptiveEnabled: false },
  adaptiveConfig: { enabled: false, thresholdPercent: 100, coefficient: 0, maxDelay: 0 },
};

export interface ClientOptions {
  /** Per-request timeout; Bitrix24 itself cuts a request at 60 s. */
  readonly timeoutMs?: number;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}

/**
 * A portal or OAuth endpoint must be https:// on a real host. http:// and loopback hosts are
 * accepted only with `allowHttpLoopback` (B24_ALLOW_HTTP_LOOPBACK: the doubles of tests and the
 * demo), and then for loopback hosts only.
 */
export function assertSafeEndpoint(url: string, what: string, allowHttpLoopback: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a URL`);
  }
  const loopback = isLoopback(parsed.hostname);
  if (parsed.protocol === 'https:' && !loopback) return parsed;
  if (allowHttpLoopback && loopback && (parsed.protocol === 'https:' || parsed.protocol === 'http:')) return parsed;
  if (loopback) throw new Error(`${what} is a loopback address (accepted only with B24_ALLOW_HTTP_LOOPBACK=1)`);
  throw new Error(`${what} must be https://`);
}

function applyTimeout(b24: TypeB24, options: ClientOptions): void {
  if (options.timeoutMs) b24.getHttpClient(ApiVersion.v2).ajaxClient.defaults.timeout = options.timeoutMs;
}

/**
 * The app-mode client: OAuth tokens of the installed portal. On expiry or 401 the SDK asks
 * `refresh` for a new pair (the one place that talks to the OAuth server, which also stores the
 * pair); the SDK itself is given no client secret.
 */
export function createAppClient(
  portal: PortalRecord,
  refresh: () => Promise<PortalTokens>,
  options: ClientOptions & { readonly allowHttpLoopback: boolean },
): B24OAuth {
  assertSafeEndpoint(portal.clientEndpoint, 'the portal client_endpoint', options.allowHttpLoopback);
  const params: B24OAuthParams = {
    applicationToken: portal.applicationToken,
    userId: Number(portal.userId) || 0,
    memberId: portal.memberId,
    accessToken: portal.accessToken,
    refreshToken: portal.refreshToken,
    expires: portal.expires,
    expiresIn: portal.expiresIn,
    scope: portal.scope,
    domain: portal.domain,
    clientEndpoint: portal.clientEndpoint,
    serverEndpoint: portal.serverEndpoint,
    status: appStatus(portal.status),
  };
  const b24 = new B24OAuth(params, { clientId: '', clientSecret: '' }, { restrictionParams: SDK_RESTRICTIONS });
  b24.setCustomRefreshAuth(async () => {
    let t: PortalTokens;
    try {
      t = await refresh();
    } catch (err) {
      // Keeps the failure's code and status, so the outbox can tell a refused token from a network fault.
      const e = err as { code?: unknown; status?: unknown; message?: unknown };
      throw new SdkError({ code: String(e.code ?? 'OAUTH_REFRESH_FAILED'), description: String(e.message ?? err), status: Number(e.status) || 0 });
    }
    return {
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      expires: String(t.expires),
      expires_in: String(t.expiresIn),
      client_endpoint: t.clientEndpoint ?? portal.clientEndpoint,
      server_endpoint: t.serverEndpoint ?? portal.serverEndpoint,
      member_id: portal.memberId,
      scope: t.scope ?? portal.scope,
      status: appStatus(t.status ?? portal.status),
      domain: portal.domain,
    };
  });
  applyTimeout(b24, options);
  return b24;
}

function appStatus(status: string): B24OAuthParams['status'] {
  return (['F', 'D', 'T', 'P', 'L', 'S'].includes(status) ? status : 'L') as B24OAuthParams['status'];
}

/** Parses `https://portal/rest/<userId>/<secret>/` without ever echoing the URL (it is a secret). */
export function parseWebhookUrl(url: string): { b24Url: string; userId: number; secret: string; insecureLoopback: boolean } {
  // The webhook URL is the admin's own configuration (nothing from the network): loopback allowed.
  const parsed = assertSafeEndpoint(url.trim(), 'B24_WEBHOOK_URL', true);
  const parts = parsed.pathname.split('/').filter(Boolean);
  if (parts.length !== 3 || parts[0] !== 'rest' || !/^\d+$/.test(parts[1] ?? '')) {
    throw new Error('B24_WEBHOOK_URL must look like https://<portal>/rest/<userId>/<secret>/');
  }
  return { b24Url: parsed.host, userId: Number(parts[1]), secret: parts[2] ?? '', insecureLoopback: parsed.protocol === 'http:' };
}

/**
 * The webhook-mode client (experimental: Bitrix24 documents the telephony methods as app-only,
 * DECISIONS §21). B24Hook always builds https:// URLs; for the loopback double the scheme is
 * rewritten by an axios interceptor — the only difference between real and double is the URL.
 */
export function createWebhookClient(webhookUrl: string, options: ClientOptions = {}): B24Hook {
  const { b24Url, userId, secret, insecureLoopback } = parseWebhookUrl(webhookUrl);
  const b24 = new B24Hook({ b24Url: `https://${b24Url}`, userId, secret }, { restrictionParams: SDK_RESTRICTIONS });
  if (insecureLoopback) {
    b24.getHttpClient(ApiVersion.v2).ajaxClient.interceptors.request.use((config) => {
      if (config.url) config.url = config.url.replace(/^https:\/\//, 'http://');
      if (config.baseURL) config.baseURL = config.baseURL.replace(/^https:\/\//, 'http://');
      return config;
    });
  }
  applyTimeout(b24, options);
  return b24;
}
