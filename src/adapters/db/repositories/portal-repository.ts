import type { Knex } from 'knex';
import type { Db } from '../connection.ts';
import type { PortalRecord, PortalTokens } from '../../../app/crm/portal-record.ts';

/** The portal the connector is pinned to: its member_id and the host of its REST endpoint (DECISIONS §32). */
export interface PortalPin {
  readonly memberId: string;
  readonly host: string;
  readonly pinnedAt: number;
}

export type VerifiedInstallResult =
  | { readonly ok: true; readonly portal: PortalRecord; readonly pinned: boolean }
  | { readonly ok: false; readonly pin: PortalPin };

interface PinRow {
  id: number;
  member_id: string;
  host: string;
  pinned_at: number | string;
}

interface PortalRow {
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  access_token: string;
  refresh_token: string;
  expires: number | string;
  expires_in: number | string;
  application_token: string;
  scope: string;
  status: string;
  user_id: string;
  installed_at: number | string;
  updated_at: number | string;
}

function toRecord(r: PortalRow): PortalRecord {
  return {
    memberId: r.member_id,
    domain: r.domain,
    clientEndpoint: r.client_endpoint,
    serverEndpoint: r.server_endpoint,
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    expires: Number(r.expires),
    expiresIn: Number(r.expires_in),
    applicationToken: r.application_token,
    scope: r.scope,
    status: r.status,
    userId: r.user_id,
    installedAt: Number(r.installed_at),
    updatedAt: Number(r.updated_at),
  };
}

/**
 * One portal per deployment. A reinstall from the same portal (member_id) replaces its tokens;
 * the pin (kept across uninstalls) refuses any other portal until `b24pbx portal reset`.
 */
export class PortalRepository {
  constructor(private readonly db: Db) {}

  async get(trx?: Knex.Transaction): Promise<PortalRecord | null> {
    const row = await (trx ?? this.db)<PortalRow>('b24_portal').orderBy('installed_at', 'desc').first();
    return row ? toRecord(row) : null;
  }

  async pin(trx?: Knex.Transaction): Promise<PortalPin | null> {
    const row = await (trx ?? this.db)<PinRow>('b24_portal_pin').where({ id: 1 }).first();
    return row ? { memberId: row.member_id, host: row.host, pinnedAt: Number(row.pinned_at) } : null;
  }

  /** Stores an install: replaces every other portal row (one portal per deployment). Pins nothing. */
  async saveInstall(p: Omit<PortalRecord, 'installedAt' | 'updatedAt'>, now: number): Promise<PortalRecord> {
    await this.db.transaction((trx) => this.writeInstall(trx, p, now));
    return this.saved();
  }

  /**
   * Stores an install the OAuth server vouched for, pinning its portal (member_id + `host`) when
   * nothing is pinned yet; a portal other than the pinned one changes nothing.
   */
  async saveVerifiedInstall(p: Omit<PortalRecord, 'installedAt' | 'updatedAt'>, host: string, now: number): Promise<VerifiedInstallResult> {
    const outcome = await this.db.transaction(async (trx): Promise<{ ok: true; pinned: boolean } | { ok: false; pin: PortalPin }> => {
      const pin = await this.pin(trx);
      if (pin && (pin.memberId !== p.memberId || pin.host !== host)) return { ok: false, pin };
      // The primary key (id = 1) makes a second first pin fail rather than pin another portal.
      if (!pin) await trx('b24_portal_pin').insert({ id: 1, member_id: p.memberId, host, pinned_at: now });
      await this.writeInstall(trx, p, now);
      return { ok: true, pinned: !pin };
    });
    return outcome.ok ? { ok: true, portal: await this.saved(), pinned: outcome.pinned } : outcome;
  }

  private async writeInstall(trx: Knex.Transaction, p: Omit<PortalRecord, 'installedAt' | 'updatedAt'>, now: number): Promise<void> {
    const existing = await trx<PortalRow>('b24_portal').where({ member_id: p.memberId }).first();
    await trx('b24_portal').whereNot({ member_id: p.memberId }).delete();
    const row = {
      domain: p.domain,
      client_endpoint: p.clientEndpoint,
      server_endpoint: p.serverEndpoint,
      access_token: p.accessToken,
      refresh_token: p.refreshToken,
      expires: p.expires,
      expires_in: p.expiresIn,
      application_token: p.applicationToken,
      scope: p.scope,
      status: p.status,
      user_id: p.userId,
      updated_at: now,
    };
    if (existing) await trx('b24_portal').where({ member_id: p.memberId }).update(row);
    else await trx('b24_portal').insert({ ...row, member_id: p.memberId, installed_at: now });
  }

  private async saved(): Promise<PortalRecord> {
    const saved = await this.get();
    if (!saved) throw new Error('portal install was not stored');
    return saved;
  }

  /** Persists refreshed OAuth tokens (called from the SDK's refresh callback). */
  async updateTokens(memberId: string, tokens: PortalTokens, now: number, trx?: Knex.Transaction): Promise<void> {
    const patch: Record<string, unknown> = {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      expires: tokens.expires,
      expires_in: tokens.expiresIn,
      updated_at: now,
    };
    if (tokens.clientEndpoint) patch.client_endpoint = tokens.clientEndpoint;
    if (tokens.serverEndpoint) patch.server_endpoint = tokens.serverEndpoint;
    if (tokens.scope !== undefined) patch.scope = tokens.scope;
    if (tokens.status !== undefined) patch.status = tokens.status;
    await (trx ?? this.db)('b24_portal').where({ member_id: memberId }).update(patch);
  }

  /**
   * Runs `work` with the portal row locked (PostgreSQL `FOR UPDATE`: a second instance waits here;
   * SQLite has one writer anyway) and stores the tokens it returns in the same transaction.
   */
  async withPortalLocked(memberId: string, now: number, work: (stored: PortalRecord | null) => Promise<PortalTokens>): Promise<PortalTokens> {
    return this.db.transaction(async (trx) => {
      let q = trx<PortalRow>('b24_portal').where({ member_id: memberId });
      if (trx.client.config.client !== 'sqlite3') q = q.forUpdate();
      const row = await q.first();
      const stored = row ? toRecord(row) : null;
      const tokens = await work(stored);
      if (stored && tokens.refreshToken !== stored.refreshToken) await this.updateTokens(memberId, tokens, now, trx);
      return tokens;
    });
  }

  async remove(memberId: string): Promise<void> {
    await this.db('b24_portal').where({ member_id: memberId }).delete();
  }
}
