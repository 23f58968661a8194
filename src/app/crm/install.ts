import { assertSafeEndpoint } from '../../adapters/bitrix24/client.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import { secretEquals, type B24Event } from '../../adapters/bitrix24/event.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import type { PortalRecord, PortalRepository } from '../../adapters/db/repositories/portal-repository.ts';
import type { CrmClock } from './clock.ts';
import { HANDLED_EVENTS } from './crm-events.ts';

export interface InstallOptions {
  readonly portals: PortalRepository;
  readonly clock: CrmClock;
  /** PUBLIC_URL: where Bitrix24 reaches this connector. */
  readonly publicUrl: string;
  readonly pins: { readonly memberId: string | null; readonly domain: string | null };
  readonly gatewayFor: (portal: PortalRecord) => B24Gateway;
  /** After the portal is stored: switch the connection, sync lines and users. */
  readonly onInstalled?: (portal: PortalRecord) => Promise<void>;
}

export type InstallResult =
  | { readonly ok: true; readonly portal: PortalRecord; readonly bound: readonly string[] }
  | { readonly ok: false; readonly status: 400 | 401 | 409 | 502; readonly reason: string };

const REQUIRED = ['access_token', 'refresh_token', 'application_token', 'member_id', 'domain', 'client_endpoint'] as const;

/** The events endpoint this connector binds (handlers are dropped by Bitrix24 on reinstall: bound again each time). */
export function eventsHandlerUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/bitrix24/events`;
}

function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
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
 * ONAPPINSTALL (a local server-side application): checks the portal against the pins and the
 * portal already installed, binds ONEXTERNALCALLSTART / ONEXTERNALCALLBACKSTART with the new
 * tokens (which also proves the tokens are the portal's), then stores the portal. Nothing is
 * stored when any step fails.
 */
export async function handleInstall(event: B24Event, o: InstallOptions): Promise<InstallResult> {
  if (event.event !== 'ONAPPINSTALL') return { ok: false, status: 400, reason: `expected event ONAPPINSTALL, got ${event.event}` };
  const a = event.auth;
  const missing = REQUIRED.filter((k) => !a[k]);
  if (missing.length > 0) return { ok: false, status: 400, reason: `auth is missing ${missing.map((k) => `auth[${k}]`).join(', ')}` };
  const memberId = a.member_id as string;
  const domain = (a.domain as string).toLowerCase();
  if (o.pins.memberId !== null && !secretEquals(memberId, o.pins.memberId)) return { ok: false, status: 401, reason: 'member_id is not the configured portal (B24_MEMBER_ID)' };
  if (o.pins.domain !== null && domain !== o.pins.domain.toLowerCase()) return { ok: false, status: 401, reason: 'domain is not the configured portal (B24_PORTAL_DOMAIN)' };
  const existing = await o.portals.get();
  if (existing && existing.memberId !== memberId) return { ok: false, status: 409, reason: 'another portal is installed; uninstall it first' };

  const serverEndpoint = a.server_endpoint || 'https://oauth.bitrix.info/rest/';
  try {
    const client = assertSafeEndpoint(a.client_endpoint as string, 'auth[client_endpoint]');
    assertSafeEndpoint(serverEndpoint, 'auth[server_endpoint]');
    // The REST endpoint must be the portal's own (the loopback double aside).
    if (client.protocol === 'https:' && hostOf(client.href) !== domain) return { ok: false, status: 400, reason: 'auth[client_endpoint] is not on auth[domain]' };
  } catch (err) {
    return { ok: false, status: 400, reason: err instanceof Error ? err.message : String(err) };
  }
  const now = o.clock.now();
  const expiresIn = Number(a.expires_in ?? '3600') || 3600;
  const expires = /^\d+$/.test(a.expires ?? '') ? Number(a.expires) : Math.floor(now / 1000) + expiresIn;
  const candidate: PortalRecord = {
    memberId,
    domain,
    clientEndpoint: a.client_endpoint as string,
    serverEndpoint,
    accessToken: a.access_token as string,
    refreshToken: a.refresh_token as string,
    expires,
    expiresIn,
    applicationToken: a.application_token as string,
    scope: a.scope ?? '',
    status: a.status ?? 'L',
    userId: a.user_id ?? '',
    installedAt: now,
    updatedAt: now,
  };
  const bind = await bindEvents(o.gatewayFor(candidate), eventsHandlerUrl(o.publicUrl));
  if (!bind.ok) return { ok: false, status: 502, reason: bind.reason };
  const { installedAt: _i, updatedAt: _u, ...record } = candidate;
  const portal = await o.portals.saveInstall(record, now);
  await o.onInstalled?.(portal);
  return { ok: true, portal, bound: bind.bound };
}
