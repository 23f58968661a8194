import type { PortalTokens } from '../db/repositories/portal-repository.ts';
import { assertSafeEndpoint } from './client.ts';

export interface RefreshRequest {
  /** The portal's server_endpoint (Bitrix24's OAuth server, e.g. https://oauth.bitrix.info/rest/). */
  readonly serverEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly timeoutMs?: number;
}

/**
 * Exchanges a refresh token for a new pair (the token is used up whatever happens next: the
 * caller stores the answer at once). POSTed as a form, as the SDK does, so no secret rides in a
 * URL; errors never carry the request.
 */
export async function exchangeRefreshToken(r: RefreshRequest): Promise<PortalTokens> {
  const base = assertSafeEndpoint(r.serverEndpoint, 'the portal server_endpoint');
  const url = new URL('/oauth/token/', base.origin);
  const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: r.clientId, client_secret: r.clientSecret, refresh_token: r.refreshToken });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    signal: AbortSignal.timeout(r.timeoutMs ?? 30_000),
  });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof data.access_token !== 'string' || typeof data.refresh_token !== 'string') {
    const code = typeof data.error === 'string' ? data.error : `HTTP ${res.status}`;
    throw new Error(`OAuth token refresh refused by ${url.host}: ${code}`);
  }
  const text = (k: string): string | undefined => (typeof data[k] === 'string' ? data[k] : undefined);
  return {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    expires: Number(data.expires ?? 0),
    expiresIn: Number(data.expires_in ?? 3600),
    ...(text('client_endpoint') ? { clientEndpoint: text('client_endpoint') } : {}),
    ...(text('server_endpoint') ? { serverEndpoint: text('server_endpoint') } : {}),
    ...(text('scope') !== undefined ? { scope: text('scope') } : {}),
    ...(text('status') !== undefined ? { status: text('status') } : {}),
  };
}
