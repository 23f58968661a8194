import { describe, expect, it } from 'vitest';
import { openDb } from '../../../src/adapters/db/connection.ts';
import { migrationSource } from '../../../src/adapters/db/migrations/index.ts';
import { PortalRepository } from '../../../src/adapters/db/repositories/portal-repository.ts';
import { tempSqliteDb } from '../../support/db.ts';

describe('migration 005_portal_pin', () => {
  it('pins a portal installed before pinning existed, as it stands', async () => {
    const h = await tempSqliteDb();
    await h.db.destroy();
    const db = openDb({ url: h.url });
    try {
      await db.migrate.rollback({ migrationSource }, true);
      // Up to 004: the portal table exists, the pin table does not yet.
      for (let i = 0; i < 4; i++) await db.migrate.up({ migrationSource });
      await db('b24_portal').insert({
        member_id: 'a'.repeat(32), domain: 'old.bitrix24.ru', client_endpoint: 'https://Old.Bitrix24.ru/rest/', server_endpoint: 'https://oauth.bitrix.info/rest/',
        access_token: 'x', refresh_token: 'y', expires: 1, expires_in: 3600, application_token: 'z', installed_at: 1000, updated_at: 1000,
      });
      await db.migrate.latest({ migrationSource });
      expect(await new PortalRepository(db).pin()).toEqual({ memberId: 'a'.repeat(32), host: 'old.bitrix24.ru', pinnedAt: 1000 });
    } finally {
      await db.destroy();
      await h.close().catch(() => undefined);
    }
  });
});
