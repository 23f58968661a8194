import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { B24DirectoryRepository } from '../../src/adapters/db/repositories/b24-users-repository.ts';
import { CrmEventsRepository } from '../../src/adapters/db/repositories/crm-events-repository.ts';
import { PortalRepository } from '../../src/adapters/db/repositories/portal-repository.ts';
import { OutboxRepository } from '../../src/adapters/db/repositories/outbox-repository.ts';
import { previewPortalReset, resetPortal, PORTAL_RESET_REASON } from '../../src/adapters/db/repositories/portal-reset.ts';

const T0 = 1_800_000_000_000;

const install = {
  memberId: 'a223c6b9410f85df78e9377d6c4f7213',
  domain: 'some-domain.bitrix24.ru',
  clientEndpoint: 'https://some-domain.bitrix24.ru/rest/',
  serverEndpoint: 'https://oauth.bitrix.info/rest/',
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  expires: 1_800_003_600,
  expiresIn: 3600,
  applicationToken: '51610fefc120afg4b628cc82d6298cce',
  scope: 'telephony,crm,user',
  status: 'L',
  userId: '1',
};

/** Portal, received events and the directory cache, run on SQLite and on PostgreSQL. */
export function portalContract(name: string, open: () => Promise<{ db: Db; close(): Promise<void> }>): void {
  describe(`portal, events and directory repositories (${name})`, () => {
    let handle: { db: Db; close(): Promise<void> } | null = null;

    beforeEach(async () => {
      handle ??= await open();
      for (const t of ['b24_portal', 'b24_portal_pin', 'crm_events', 'crm_outbox', 'b24_users', 'b24_departments', 'b24_lines']) await handle.db(t).delete();
    });
    afterAll(async () => {
      await handle?.close();
    });

    it('stores an install, replaces it on reinstall, and persists refreshed tokens', async () => {
      const repo = new PortalRepository(handle!.db);
      expect(await repo.get()).toBeNull();
      const first = await repo.saveInstall(install, T0);
      expect(first).toMatchObject({ ...install, installedAt: T0, updatedAt: T0 });
      await repo.saveInstall({ ...install, accessToken: 'access-2', applicationToken: 'app-2' }, T0 + 10);
      const again = await repo.get();
      expect([again?.accessToken, again?.applicationToken, again?.installedAt, again?.updatedAt]).toEqual(['access-2', 'app-2', T0, T0 + 10]);
      await repo.updateTokens(install.memberId, { accessToken: 'access-3', refreshToken: 'refresh-3', expires: 1_800_007_200, expiresIn: 3600 }, T0 + 20);
      const refreshed = await repo.get();
      expect([refreshed?.accessToken, refreshed?.refreshToken, refreshed?.expires]).toEqual(['access-3', 'refresh-3', 1_800_007_200]);
      expect(typeof refreshed?.expires).toBe('number');
    });

    it('pins the first verified install; another portal changes nothing; an uninstall keeps the pin', async () => {
      const repo = new PortalRepository(handle!.db);
      const host = 'some-domain.bitrix24.ru';
      const first = await repo.saveVerifiedInstall(install, host, T0);
      expect(first).toMatchObject({ ok: true, pinned: true, portal: { memberId: install.memberId, accessToken: 'access-1' } });
      expect(await repo.pin()).toEqual({ memberId: install.memberId, host, pinnedAt: T0 });
      const again = await repo.saveVerifiedInstall({ ...install, accessToken: 'access-2' }, host, T0 + 1);
      expect(again).toMatchObject({ ok: true, pinned: false, portal: { accessToken: 'access-2' } });
      const other = await repo.saveVerifiedInstall({ ...install, memberId: 'b'.repeat(32), accessToken: 'access-x' }, 'other.bitrix24.ru', T0 + 2);
      expect(other).toMatchObject({ ok: false, pin: { memberId: install.memberId, host } });
      const sameIdOtherHost = await repo.saveVerifiedInstall({ ...install, accessToken: 'access-y' }, 'attacker.example.com', T0 + 3);
      expect(sameIdOtherHost.ok).toBe(false);
      expect((await repo.get())?.accessToken).toBe('access-2');
      await repo.remove(install.memberId);
      expect(await repo.get()).toBeNull();
      expect((await repo.pin())?.memberId).toBe(install.memberId);
    });

    it('portal reset removes the pin, the tokens, the directory and lines, and parks the queued writes', async () => {
      const db = handle!.db;
      await new PortalRepository(db).saveVerifiedInstall(install, 'some-domain.bitrix24.ru', T0);
      const directory = new B24DirectoryRepository(db);
      await directory.replace({ users: [{ id: '1', name: 'A', extension: '100', departments: ['1'], active: true }], departments: [{ id: '1', name: 'Sales', parent: null }] }, T0);
      await directory.savePublishedLine({ number: '101', name: 'MTS', trunkId: 'mts' }, T0);
      const outbox = new OutboxRepository(db);
      const queued = await outbox.enqueue({ dedupeKey: 'finish:x', method: 'telephony.externalcall.finish', params: { CALL_ID: 'x' } }, T0);
      const expected = {
        pin: { memberId: install.memberId, host: 'some-domain.bitrix24.ru' }, portal: { memberId: install.memberId, domain: install.domain },
        users: 1, departments: 1, lines: 1, queuedWrites: 1,
      };
      expect(await previewPortalReset(db)).toEqual(expected);
      expect(await new PortalRepository(db).pin()).not.toBeNull();
      expect(await resetPortal(db, T0 + 5)).toEqual(expected);
      expect(await previewPortalReset(db)).toEqual({ pin: null, portal: null, users: 0, departments: 0, lines: 0, queuedWrites: 0 });
      expect(await outbox.get(queued.id)).toMatchObject({ state: 'parked', lastError: PORTAL_RESET_REASON });
    });

    it('stores an event once per (event, key), taken by its receiver; after a reset, one processor claims it', async () => {
      const repo = new CrmEventsRepository(handle!.db);
      const a = await repo.record({ event: 'ONEXTERNALCALLSTART', eventKey: 'externalCall.x.1', data: { CALL_ID: 'externalCall.x.1' }, ts: 1773236988 }, T0);
      const b = await repo.record({ event: 'ONEXTERNALCALLSTART', eventKey: 'externalCall.x.1', data: { CALL_ID: 'externalCall.x.1' }, ts: 1773236988 }, T0 + 1);
      expect([a.created, b.created, b.id === a.id, b.stored]).toEqual([true, false, true, null]);
      expect([a.stored?.state, a.stored?.attempts, a.stored?.receivedAt, a.stored?.data]).toEqual(['processing', 1, T0, { CALL_ID: 'externalCall.x.1' }]);
      expect(await repo.count()).toBe(1);
      // Taken by the receiver: nobody else can claim it until a restart puts it back.
      expect(await repo.claim(a.id)).toBeNull();
      expect((await repo.listUnprocessed()).map((e) => e.state)).toEqual(['processing']);
      expect(await repo.resetProcessing()).toBe(1);
      const claims = await Promise.all([repo.claim(a.id), repo.claim(a.id)]);
      expect(claims.filter((c) => c !== null)).toHaveLength(1);
      await repo.finish(a.id, 'done', 'originated', T0 + 5);
      const done = await repo.get(a.id);
      expect([done?.state, done?.outcome, done?.processedAt, done?.ts, done?.attempts]).toEqual(['done', 'originated', T0 + 5, 1773236988, 2]);
      expect(await repo.listUnprocessed()).toEqual([]);
    });

    it('stores and claims events arriving together (one statement) with the same answers as one by one', async () => {
      const repo = new CrmEventsRepository(handle!.db);
      const rec = (key: string, at: number) => repo.record({ event: 'ONEXTERNALCALLSTART', eventKey: key, data: { CALL_ID: key }, ts: null }, at);
      const stored = await rec('k0', T0);
      const burst = await Promise.all([rec('k1', T0), rec('k2', T0), rec('k1', T0 + 1), rec('k0', T0 + 2)]);
      expect(burst.map((r) => r.created)).toEqual([true, true, false, false]);
      expect([burst[2]?.id === burst[0]?.id, burst[3]?.id === stored.id, new Set(burst.map((r) => r.id)).size]).toEqual([true, true, 3]);
      expect(await repo.count()).toBe(3);
      expect(burst.map((r) => r.stored?.eventKey ?? null)).toEqual(['k1', 'k2', null, null]);
      expect(await repo.resetProcessing()).toBe(3);
      const claims = await Promise.all([repo.claim(stored.id), repo.claim(burst[0]!.id), repo.claim(burst[1]!.id), repo.claim(burst[0]!.id)]);
      expect(claims.map((c) => c?.eventKey ?? null)).toEqual(['k0', 'k1', 'k2', null]);
      expect(claims[1]?.data).toEqual({ CALL_ID: 'k1' });
      expect(claims[1]?.state).toBe('processing');
    });

    it('replaces the directory as a whole and remembers the lines it published', async () => {
      const repo = new B24DirectoryRepository(handle!.db);
      await repo.replace({
        users: [{ id: '1', name: 'A', extension: '100', departments: ['1', '5'], active: true }, { id: '2', name: null, extension: null, departments: [], active: false }],
        departments: [{ id: '1', name: 'Sales', parent: null }, { id: '5', name: 'North', parent: '1' }],
      }, T0);
      await repo.replace({
        users: [{ id: '1', name: 'A', extension: '100', departments: ['1', '5'], active: true }],
        departments: [{ id: '1', name: 'Sales', parent: null }, { id: '5', name: 'North', parent: '1' }],
      }, T0 + 1);
      const dir = await repo.load();
      expect(dir.users).toEqual([{ id: '1', name: 'A', extension: '100', departments: ['1', '5'], active: true }]);
      expect(dir.departments).toEqual([{ id: '1', name: 'Sales', parent: null }, { id: '5', name: 'North', parent: '1' }]);
      await repo.savePublishedLine({ number: '101', name: 'MTS', trunkId: 'mts' }, T0);
      await repo.savePublishedLine({ number: '101', name: 'MTS renamed', trunkId: 'mts' }, T0);
      expect(await repo.publishedLines()).toEqual([{ number: '101', name: 'MTS renamed', trunkId: 'mts' }]);
      await repo.forgetPublishedLine('101');
      expect(await repo.publishedLines()).toEqual([]);
    });
  });
}
