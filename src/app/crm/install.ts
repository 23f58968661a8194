import { assertSafeEndpoint } from '../../adapters/bitrix24/client.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import { secretEquals, type B24Event } from '../../adapters/bitrix24/event.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import type { PortalRepository } from '../../adapters/db/repositories/portal-repository.ts';
import type { PortalRecord } from './portal-record.ts';
import type { CrmClock } from './clock.ts';
import { HANDLED_EVENTS } from './crm-events.ts';
import type { OAuthServer } from './ports.ts';

export interface InstallOptions {
  readonly portals: PortalRepository;
  readonly clock: CrmClock;
  /** PUBLIC_URL: where Bitrix24 reaches this connector. */
  readonly publicUrl: string;
  /** B24_MEMBER_ID / B24_PORTAL_DOMAIN, when the admin configured them. */
  readonly pins: { readonly memberId: string | null; readonly domain: string | null };
  /** Bitrix24's OAuth server: the only party whose word makes an install trusted. */
  readonly oauth: OAuthServer;
  /** B24_ALLOW_HTTP_LOOPBACK: accept http:// and loopback endpoints (the doubles). */
  readonly allowHttpLoopback: boolean;
  readonly gatewayFor: (portal: PortalRecord) => B24Gateway;
  /** After the portal is stored: switch the connection, sync lines and users. */
  readonly onInstalled?: (portal: PortalRecord) => Promise<void>;
}

export type InstallResult =
  | { readonly ok: true; readonly portal: PortalRecord; readonly bound: readonly string[]; readonly pinned: boolean }
  | { readonly ok: false; readonly status: 400 | 401 | 409 | 502 | 503; readonly reason: string };

const REQUIRED = ['access_token', 'refresh_token', 'application_token', 'member_id', 'domain', 'client_endpoint'] as const;

/** The events endpoint this connector binds (handlers are dropped by Bitrix24 on reinstall: bound again each time). */
export function eventsHandlerUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/bitrix24/events`;
}

/** An endpoint as compared: scheme, lower-case host (with port) and path with one trailing slash. */
function endpointKey(url: URL): string {
  return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/*$/, '/')}`;
}

/** Binds each handled event to our handler; unbinds our events that point at an old handler URL. */
async function bindEvents(gateway: B24Gateway, handler: string): Promise<{ ok: true; bound: string[] } | { ok: false; reason: string }> {
  const existing = await gateway.call('event.get', {});
  if (!existing.ok) return { ok: false, reason: `event.get: ${describeFailure(existing.error)}` };
  const rows = Array.isArray(existing.result) ? (existing.result as Record<string, unknown>[]) : [];
  const bound: string[] = [];
  for (const event of HANDLED_EVENTS) {
    const mine = rows.filter((r) => String(r.event ?? '').toUpperCase() === event);
    for (const stale of mine.filter((r) => r.handler !== handler)) {
      await gateway.call('event.unbind', { event, handler: stale.handler });
    }
    if (mine.some((r) => r.handler === handler)) {
      bound.push(event);
      continue;
    }
    const r = await gateway.call('event.bind', { event, handler, event_type: 'online' });
    if (!r.ok) return { ok: false, reason: `event.bind ${event}: ${describeFailure(r.error)}` };
    bound.push(event);
  }
  return { ok: true, bound };
}

/**
 * ONAPPINSTALL (a local server-side application). Nothing in the body is taken on trust: its
 * refresh token is exchanged at the OAuth server, whose answer must name the same member_id and
 * client_endpoint; the portal is the host of that endpoint (DECISIONS §29, §32). The first such
 * install pins the portal; later ones must be the pinned portal. Every refusal changes nothing.
 * The exchange uses the token up, so the new pair is stored at once, before events are bound.
 */
export async function handleInstall(event: B24Event, o: InstallOptions): Promise<InstallResult> {
  if (event.event !== 'ONAPPINSTALL') return { ok: false, status: 400, reason: `expected event ONAPPINSTALL, got ${event.event}` };
  const a = event.auth;
  const missing = REQUIRED.filter((k) => !a[k]);
  if (missing.length > 0) return { ok: false, status: 400, reason: `auth is missing ${missing.map((k) => `auth[${k}]`).join(', ')}` };
  const memberId = a.member_id as string;
  let endpoint: URL;
  try {
    endpoint = assertSafeEndpoint(a.client_endpoint as string, 'auth[client_endpoint]', o.allowHttpLoopback);
  } catch (err) {
    return { ok: false, status: 400, reason: err instanceof Error ? err.message : String(err) };
  }
  const host = endpoint.host.toLowerCase();
  if (o.pins.memberId !== null && !secretEquals(memberId, o.pins.memberId)) return { ok: false, status: 401, reason: 'member_id is not the configured portal (B24_MEMBER_ID)' };
  if (o.pins.domain !== null && endpoint.hostname.toLowerCase() !== o.pins.domain.toLowerCase()) return { ok: false, status: 401, reason: 'client_endpoint is not on the configured portal (B24_PORTAL_DOMAIN)' };
  const pin = await o.portals.pin();
  if (pin && (pin.memberId !== memberId || pin.host !== host)) return { ok: false, status: 409, reason: 'the connector is pinned to another portal (an admin moves it with `b24pbx portal reset`)' };

  const answer = await o.oauth.exchange(a.refresh_token as string);
  if (!answer.ok) {
    return answer.refused
      ? { ok: false, status: 401, reason: `the OAuth server did not vouch for this install: ${answer.reason}` }
      : { ok: false, status: 503, reason: `the OAuth server could not be asked; install again later: ${answer.reason}` };
  }
  const grant = answer.grant;
  if (grant.memberId !== memberId) return { ok: false, status: 401, reason: 'the OAuth server says the tokens belong to another member_id' };
  let vouched: URL;
  try {
    vouched = assertSafeEndpoint(grant.clientEndpoint, 'the client_endpoint the OAuth server names', o.allowHttpLoopback);
  } catch (err) {
    return { ok: false, status: 401, reason: err instanceof Error ? err.message : String(err) };
  }
  if (endpointKey(vouched) !== endpointKey(endpoint)) return { ok: false, status: 401, reason: 'the OAuth server names another client_endpoint for these tokens' };

  const now = o.clock.now();
  const stored = await o.portals.saveVerifiedInstall({
    memberId,
    // What the portal's events carry in auth[domain]; checked on each event beside member_id.
    domain: (a.domain as string).toLowerCase(),
    clientEndpoint: grant.clientEndpoint,
    serverEndpoint: grant.serverEndpoint,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    expires: grant.expires,
    expiresIn: grant.expiresIn,
    applicationToken: a.application_token as string,
    scope: grant.scope || (a.scope ?? ''),
    status: grant.status,
    userId: grant.userId || (a.user_id ?? ''),
  }, host, now);
  if (!stored.ok) return { ok: false, status: 409, reason: 'the connector is pinned to another portal (an admin moves it with `b24pbx portal reset`)' };
  const bind = await bindEvents(o.gatewayFor(stored.portal), eventsHandlerUrl(o.publicUrl));
  await o.onInstalled?.(stored.portal);
  if (!bind.ok) return { ok: false, status: 502, reason: `installed and stored, but the events could not be bound (install again): ${bind.reason}` };
  return { ok: true, portal: stored.portal, bound: bind.bound, pinned: stored.pinned };
}
