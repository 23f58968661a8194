import { ApiVersion, B24Hook, B24OAuth, type B24OAuthParams, type HandlerRefreshAuth, type RestrictionParams, type TypeB24 } from '@bitrix24/b24jssdk';
import type { PortalRecord, PortalTokens } from '../db/repositories/portal-repository.ts';

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
  /** App mode: how a new token pair is obtained (serialized across instances); default: the SDK's own request. */
  readonly refresh?: () => Promise<PortalTokens>;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}

/** http:// is accepted only for a loopback host (the Bitrix24 double); a real portal is https. */
export function assertSafeEndpoint(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a URL`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopback(parsed.hostname)) return parsed;
  throw new Error(`${what} must be https:// (http is accepted for 127.0.0.1/localhost only)`);
}

function applyTimeout(b24: TypeB24, options: ClientOptions): void {
  if (options.timeoutMs) b24.getHttpClient(ApiVersion.v2).ajaxClient.defaults.timeout = options.timeoutMs;
}

/**
 * The app-mode client: OAuth tokens of the installed portal, refreshed by the SDK on expiry or
 * 401; every refresh is persisted through `onRefresh` (so a restart keeps the newest tokens).
 */
export function createAppClient(
  portal: PortalRecord,
  secret: { readonly clientId: string; readonly clientSecret: string },
  onRefresh: (memberId: string, tokens: PortalTokens) => Promise<void>,
  options: ClientOptions = {},
): B24OAuth {
  assertSafeEndpoint(portal.clientEndpoint, 'the portal client_endpoint');
  assertSafeEndpoint(portal.serverEndpoint, 'the portal server_endpoint');
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
    status: (['F', 'D', 'T', 'P', 'L', 'S'].includes(portal.status) ? portal.status : 'L') as B24OAuthParams['status'],
  };
  const b24 = new B24OAuth(params, { clientId: secret.clientId, clientSecret: secret.clientSecret }, { restrictionParams: SDK_RESTRICTIONS });
  const refresh = options.refresh;
  if (refresh) {
    b24.setCustomRefreshAuth(async () => {
      const t = await refresh();
      const endpoints = { client_endpoint: t.clientEndpoint ?? portal.clientEndpoint, server_endpoint: t.serverEndpoint ?? portal.serverEndpoint };
      return {
        access_token: t.accessToken, refresh_token: t.refreshToken, expires: String(t.expires), expires_in: String(t.expiresIn),
        ...endpoints, member_id: portal.memberId, scope: t.scope ?? portal.scope, status: t.status ?? portal.status, domain: portal.domain,
      } as unknown as HandlerRefreshAuth;
    });
  }
  b24.setCallbackRefreshAuth(async ({ b24OAuthParams }) => {
    await onRefresh(portal.memberId, {
      accessToken: b24OAuthParams.accessToken,
      refreshToken: b24OAuthParams.refreshToken,
      expires: b24OAuthParams.expires,
      expiresIn: b24OAuthParams.expiresIn,
      clientEndpoint: b24OAuthParams.clientEndpoint,
      serverEndpoint: b24OAuthParams.serverEndpoint,
      scope: b24OAuthParams.scope,
      status: b24OAuthParams.status,
    });
  });
  applyTimeout(b24, options);
  return b24;
}

/** Parses `https://portal/rest/<userId>/<secret>/` without ever echoing the URL (it is a secret). */
export function parseWebhookUrl(url: string): { b24Url: string; userId: number; secret: string; insecureLoopback: boolean } {
  const parsed = assertSafeEndpoint(url.trim(), 'B24_WEBHOOK_URL');
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
