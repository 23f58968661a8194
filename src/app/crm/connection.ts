import { createAppClient, createWebhookClient } from '../../adapters/bitrix24/client.ts';
import { exchangeRefreshToken } from '../../adapters/bitrix24/oauth-refresh.ts';
import { restFailure } from '../../adapters/bitrix24/errors.ts';
import type { ExpectedPortal } from '../../adapters/bitrix24/event.ts';
import { SdkGateway, type B24Gateway, type BatchCommand, type BatchOutcome, type RestOutcome } from '../../adapters/bitrix24/gateway.ts';
import type { PortalRecord, PortalRepository } from '../../adapters/db/repositories/portal-repository.ts';
import type { CrmClock } from './clock.ts';
import { serializedRefresh } from './token-refresh.ts';

export interface ConnectionSettings {
  readonly mode: 'app' | 'webhook' | 'off';
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly webhookUrl?: string;
  /** Webhook mode: the outgoing webhook's application_token. */
  readonly applicationToken?: string;
  /** Pins: when set, only this portal is accepted (install and events). */
  readonly memberId?: string;
  readonly domain?: string;
  readonly timeoutMs?: number;
}

/**
 * The current link to the portal: in app mode built from the installed portal's tokens (rebuilt
 * after an install), in webhook mode from B24_WEBHOOK_URL. It also says what an incoming event
 * must carry to be believed.
 */
export class B24Connection {
  private current: B24Gateway | null = null;
  private portal: PortalRecord | null = null;

  constructor(private readonly settings: ConnectionSettings, private readonly portals: PortalRepository, private readonly clock: CrmClock) {}

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

  /** A gateway for an install in progress (not stored yet): binds events with the new tokens. */
  gatewayFor(portal: PortalRecord): B24Gateway {
    const secret = { clientId: this.settings.clientId ?? '', clientSecret: this.settings.clientSecret ?? '' };
    const refresh = serializedRefresh({
      memberId: portal.memberId,
      lock: this.portals,
      exchange: (refreshToken) => exchangeRefreshToken({ serverEndpoint: portal.serverEndpoint, ...secret, refreshToken, timeoutMs: this.settings.timeoutMs }),
      // Token expiries are wall-clock seconds from the OAuth server.
      now: () => Date.now(),
    }, portal.refreshToken);
    const client = createAppClient(portal, secret, (memberId, tokens) => this.portals.updateTokens(memberId, tokens, this.clock.now()), { timeoutMs: this.settings.timeoutMs, refresh });
    return new SdkGateway(client);
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
