import { createAppClient, createWebhookClient } from '../../adapters/bitrix24/client.ts';
import { restFailure } from '../../adapters/bitrix24/errors.ts';
import type { ExpectedPortal } from '../../adapters/bitrix24/event.ts';
import { SdkGateway, type B24Gateway, type BatchCommand, type BatchOutcome, type RestOutcome } from '../../adapters/bitrix24/gateway.ts';
import type { PortalRepository } from '../../adapters/db/repositories/portal-repository.ts';
import type { PortalRecord, PortalTokens } from './portal-record.ts';
import type { CrmClock } from './clock.ts';
import type { OAuthServer } from './ports.ts';
import { serializedRefresh } from './token-refresh.ts';

export interface ConnectionSettings {
  readonly mode: 'app' | 'webhook' | 'off';
  readonly webhookUrl?: string;
  /** Webhook mode: the outgoing webhook's application_token. */
  readonly applicationToken?: string;
  /** Pins: when set, only this portal is accepted (install and events). */
  readonly memberId?: string;
  readonly domain?: string;
  readonly timeoutMs?: number;
  /** B24_ALLOW_HTTP_LOOPBACK: accept http:// and loopback portal endpoints (the doubles). */
  readonly allowHttpLoopback?: boolean;
}

/** Why a token refresh failed (no secret in it). */
export class TokenRefreshError extends Error {
  constructor(message: string, readonly code: string, readonly status: number) {
    super(message);
  }
}

/**
 * The current link to the portal: in app mode built from the installed portal's tokens (rebuilt
 * after an install), in webhook mode from B24_WEBHOOK_URL. It also says what an incoming event
 * must carry to be believed.
 */
export class B24Connection {
  private current: B24Gateway | null = null;
  private portal: PortalRecord | null = null;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly portals: PortalRepository,
    private readonly clock: CrmClock,
    /** Bitrix24's OAuth server (app mode): refreshes the tokens. */
    private readonly oauth: OAuthServer | null = null,
  ) {}

  get mode(): ConnectionSettings['mode'] {
    return this.settings.mode;
  }

  async init(): Promise<void> {
    if (this.settings.mode === 'webhook') {
      if (!this.settings.webhookUrl) throw new Error('B24_MODE=webhook needs B24_WEBHOOK_URL');
      this.current = new SdkGateway(createWebhookClient(this.settings.webhookUrl, { timeoutMs: this.settings.timeoutMs }));
      return;
    }
    if (this.settings.mode === 'app') this.use(await this.portals.get());
  }

  /** A gateway with the tokens of a stored portal. */
  gatewayFor(portal: PortalRecord): B24Gateway {
    const refresh = serializedRefresh({
      memberId: portal.memberId,
      lock: this.portals,
      exchange: (refreshToken) => this.exchange(portal.memberId, refreshToken),
      // Token expiries are wall-clock seconds from the OAuth server.
      now: () => Date.now(),
    }, portal.refreshToken);
    const client = createAppClient(portal, refresh, {
      timeoutMs: this.settings.timeoutMs, allowHttpLoopback: this.settings.allowHttpLoopback ?? false,
    });
    return new SdkGateway(client);
  }

  /**
   * The one place tokens are refreshed: exchanges the STORED refresh token (a reinstall or another
   * instance may have replaced the one a client started with) under the portal row's lock, and
   * stores the new pair before the lock goes, since the exchange used the old one up (DECISIONS §32).
   */
  async refreshTokens(memberId: string): Promise<PortalTokens> {
    const stored = await this.portals.get();
    if (!stored || stored.memberId !== memberId) throw new TokenRefreshError('the portal is no longer installed', 'PORTAL_NOT_INSTALLED', 0);
    return serializedRefresh({ memberId, lock: this.portals, exchange: (t) => this.exchange(memberId, t), now: () => Date.now() }, stored.refreshToken)();
  }

  /** One exchange at the OAuth server; the answer must name the same portal. */
  private async exchange(memberId: string, refreshToken: string): Promise<PortalTokens> {
    if (!this.oauth) throw new TokenRefreshError('no OAuth server is configured (B24_MODE=app needs B24_CLIENT_ID, B24_CLIENT_SECRET)', 'OAUTH_NOT_CONFIGURED', 0);
    const answer = await this.oauth.exchange(refreshToken);
    if (!answer.ok) throw new TokenRefreshError(`token refresh failed: ${answer.reason}`, answer.refused ? 'OAUTH_REFRESH_REFUSED' : 'OAUTH_UNREACHABLE', answer.refused ? answer.status : 0);
    const g = answer.grant;
    if (g.memberId !== memberId) throw new TokenRefreshError('token refresh failed: the OAuth server named another member_id', 'OAUTH_OTHER_PORTAL', 0);
    return { accessToken: g.accessToken, refreshToken: g.refreshToken, expires: g.expires, expiresIn: g.expiresIn, scope: g.scope, status: g.status };
  }

  /** Switches to a newly installed portal. */
  use(portal: PortalRecord | null): void {
    this.portal = portal;
    this.current = portal ? this.gatewayFor(portal) : null;
  }

  gateway(): B24Gateway | null {
    return this.current;
  }

  /** A gateway that always exists: while not connected every call fails as transient (the outbox retries). */
  readonly delegate: B24Gateway = {
    call: (method: string, params?: Readonly<Record<string, unknown>>): Promise<RestOutcome> =>
      this.current ? this.current.call(method, params) : Promise.resolve({ ok: false, error: restFailure('NOT_CONNECTED', 'no Bitrix24 portal is connected', 0) }),
    batch: (commands: readonly BatchCommand[]): Promise<BatchOutcome> =>
      this.current ? this.current.batch(commands) : Promise.resolve({ ok: false, error: restFailure('NOT_CONNECTED', 'no Bitrix24 portal is connected', 0) }),
  };

  /** What an event must match (see verifyEventAuth). */
  expectedPortal(): ExpectedPortal | null {
    if (this.settings.mode === 'webhook') {
      if (!this.settings.applicationToken) return null;
      return { applicationToken: this.settings.applicationToken, memberId: this.settings.memberId ?? null, domain: this.settings.domain ?? null };
    }
    if (this.settings.mode === 'app' && this.portal) {
      return { applicationToken: this.portal.applicationToken, memberId: this.portal.memberId, domain: this.portal.domain };
    }
    return null;
  }

  get pins(): { readonly memberId: string | null; readonly domain: string | null } {
    return { memberId: this.settings.memberId ?? null, domain: this.settings.domain ?? null };
  }

  installedPortal(): PortalRecord | null {
    return this.portal;
  }
}
