import type { OAuthExchange, OAuthServer } from '../../app/crm/ports.ts';
import { assertSafeEndpoint } from './client.ts';
import { scrubSecrets } from './errors.ts';

export interface OAuthServerOptions {
  /** B24_OAUTH_URL: the token endpoint is `/oauth/token/` under it. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly timeoutMs: number;
  readonly allowHttpLoopback: boolean;
  /** Milliseconds (the fallback expiry when the answer carries no `expires`). */
  readonly now: () => number;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/**
 * Bitrix24's OAuth server over HTTP: `grant_type=refresh_token` POSTed form-encoded, so that the
 * client secret and the token never appear in a URL (proxies and access logs keep URLs).
 */
export function createOAuthServer(o: OAuthServerOptions): OAuthServer {
  const base = assertSafeEndpoint(o.baseUrl, 'B24_OAUTH_URL', o.allowHttpLoopback);
  const tokenUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}/oauth/token/`;
  return {
    async exchange(refreshToken: string): Promise<OAuthExchange> {
      let res: Response;
      try {
        res = await fetch(tokenUrl, {
          method: 'POST',
          redirect: 'error',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: o.clientId, client_secret: o.clientSecret, refresh_token: refreshToken }),
          signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.name : 'error');
        return { ok: false, refused: false, status: 0, reason: `the OAuth server ${base.origin} could not be reached (${cause})` };
      }
      const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      const error = body && typeof body === 'object' ? text(body.error) : '';
      if (!res.ok || !body || error) {
        const what = error ? `${error}${body?.error_description ? ` (${text(body.error_description)})` : ''}` : 'no JSON answer';
        const refused = res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408;
        return { ok: false, refused, status: res.status, reason: scrubSecrets(`the OAuth server answered HTTP ${res.status}: ${what}`) };
      }
      const missing = ['access_token', 'refresh_token', 'member_id', 'client_endpoint'].filter((k) => !text(body[k]));
      if (missing.length > 0) return { ok: false, refused: false, status: res.status, reason: `the OAuth server's answer lacks ${missing.join(', ')}` };
      const expiresIn = Number(body.expires_in) || 3600;
      return {
        ok: true,
        grant: {
          accessToken: text(body.access_token),
          refreshToken: text(body.refresh_token),
          expires: Number(body.expires) || Math.floor(o.now() / 1000) + expiresIn,
          expiresIn,
          memberId: text(body.member_id),
          clientEndpoint: text(body.client_endpoint),
          serverEndpoint: text(body.server_endpoint) || `${base.origin}/rest/`,
          scope: text(body.scope),
          status: text(body.status) || 'L',
          userId: text(body.user_id),
        },
      };
    },
  };
}
