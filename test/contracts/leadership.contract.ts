import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { LeaseRepository } from '../../src/adapters/db/repositories/lease-repository.ts';
import { PortalRepository } from '../../src/adapters/db/repositories/portal-repository.ts';
import { serializedRefresh } from '../../src/app/crm/token-refresh.ts';
import { LeaseLostError } from '../../src/app/leadership/leadership.ts';

/**
 * The lease row and the serialized OAuth refresh on one database. `second` is another instance's
 * connection pool (PostgreSQL) or the same handle (SQLite: one instance, one connection).
 */
export function leadershipContract(label: string, open: () => Promise<{ db: Db; second: Db; close(): Promise<void> }>): void {
  describe(`${label}: leader lease and serialized token refresh`, () => {
    let h: { db: Db; second: Db; close(): Promise<void> };
    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h.close();
    });

    it('one holder at a time; a takeover after the expiry bumps the term and the old term is refused', async () => {
      const a = new LeaseRepository(h.db);
      const b = new LeaseRepository(h.second);
      const name = `test ${label}`;
      expect(await a.claim(name, 'a', 60_000)).toBe(1);
      expect(await b.claim(name, 'b', 60_000)).toBeNull();
      // A renewal keeps the term.
      expect(await a.claim(name, 'a', 60_000)).toBe(1);
      await a.check(name, 'a', 1);
      // Renewed for 0 ms: expired at once, as a holder that stopped renewing would be.
      expect(await a.claim(name, 'a', 0)).toBe(1);
      await expect(a.check(name, 'a', 1)).rejects.toBeInstanceOf(LeaseLostError);
      expect(await b.claim(name, 'b', 60_000)).toBe(2);
      await expect(h.db.transaction((trx) => a.fence(trx, name, 'a', 1))).rejects.toBeInstanceOf(LeaseLostError);
      await b.check(name, 'b', 2);
      // A clean stop hands over at once, with a new term.
      await b.release(name, 'b', 2);
      expect(await a.claim(name, 'a', 60_000)).toBe(3);
      // A takeover at start (a single-instance SQLite file restarted after a crash) does not wait
      // for the running lease: it gets a new term, and the old holder's term is refused.
      expect(await b.claim(name, 'b', 60_000, true)).toBe(4);
      await expect(a.check(name, 'a', 3)).rejects.toBeInstanceOf(LeaseLostError);
      expect(await a.claim(name, 'a', 60_000)).toBeNull();
    });

    it('concurrent refreshes of the OAuth tokens exchange the refresh token once; every instance gets the new pair', async () => {
      const memberId = `member-${label}`;
      const now = Math.floor(Date.now() / 1000);
      await new PortalRepository(h.db).saveInstall({
        memberId, domain: 'portal.bitrix24.ru', clientEndpoint: 'https://portal.bitrix24.ru/rest/', serverEndpoint: 'https://oauth.bitrix.info/rest/',
        accessToken: 'access-1', refreshToken: 'refresh-1', expires: now - 10, expiresIn: 3600, applicationToken: 'app', scope: 'telephony', status: 'L', userId: '1',
      }, Date.now());
      const used: string[] = [];
      const exchange = async (refreshToken: string) => {
        used.push(refreshToken);
        // The OAuth server's round trip: the other instance's refresh arrives meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { accessToken: 'access-2', refreshToken: 'refresh-2', expires: now + 3600, expiresIn: 3600 };
      };
      const first = serializedRefresh({ memberId, lock: new PortalRepository(h.db), exchange, now: Date.now }, 'refresh-1');
      const second = serializedRefresh({ memberId, lock: new PortalRepository(h.second), exchange, now: Date.now }, 'refresh-1');
      const [x, y] = await Promise.all([first(), second()]);
      expect(used).toEqual(['refresh-1']);
      expect([x.refreshToken, y.refreshToken]).toEqual(['refresh-2', 'refresh-2']);
      expect((await new PortalRepository(h.db).get())?.refreshToken).toBe('refresh-2');
    });
  });
}
