import type { PortalRecord, PortalTokens } from './portal-record.ts';

/** The stored portal row, locked while `work` runs (PostgreSQL: `SELECT … FOR UPDATE`); `work`'s tokens are stored before the lock goes. */
export interface PortalLock {
  withPortalLocked(memberId: string, now: number, work: (stored: PortalRecord | null) => Promise<PortalTokens>): Promise<PortalTokens>;
}

export interface SerializedRefreshOptions {
  readonly memberId: string;
  readonly lock: PortalLock;
  readonly exchange: (refreshToken: string) => Promise<PortalTokens>;
  readonly now: () => number;
}

/** A stored access token younger than this is used as it is. */
const STILL_FRESH_MS = 60_000;

/**
 * One refresh at a time across instances (Bitrix24 refresh tokens are single-use: two instances
 * exchanging the same one would leave one of them with a dead pair). Under the portal row's lock:
 * if another instance stored a newer pair since ours was read, take it; otherwise exchange the
 * stored refresh token and store the answer before the lock is released.
 */
export function serializedRefresh(o: SerializedRefreshOptions, initialRefreshToken: string): () => Promise<PortalTokens> {
  let held = initialRefreshToken;
  return async () => {
    const tokens = await o.lock.withPortalLocked(o.memberId, o.now(), async (stored) => {
      if (stored && stored.refreshToken !== held && stored.expires * 1000 > o.now() + STILL_FRESH_MS) {
        return { accessToken: stored.accessToken, refreshToken: stored.refreshToken, expires: stored.expires, expiresIn: stored.expiresIn };
      }
      return o.exchange(stored?.refreshToken ?? held);
    });
    held = tokens.refreshToken;
    return tokens;
  };
}
