import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { DEMO_CALLS, formatDemo, runDemoCalls } from '../../../src/composition/demo-calls.ts';
import { startWithDoubles } from '../../../src/composition/demo-environment.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { PortalRepository } from '../../../src/adapters/db/repositories/portal-repository.ts';
import { rememberedDemoPortal } from '../../../src/composition/demo-portal.ts';
import { tempSqliteDb } from '../../support/db.ts';

/** What `npm start` shows a newcomer with nothing configured, and `npm run demo` prints. */
describe('the demo', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-demo-test-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('routes, rotates, refuses and writes CRM records as its titles say', async () => {
    const env = loadEnv({ DATABASE_URL: path.join(tmp, 'demo.sqlite'), PORT: '0', AGI_PORT: '0', LOG_LEVEL: 'silent' });
    const doubled = await startWithDoubles(env, silentLogger, { timeScale: 0.01 });
    try {
      const outcomes = await runDemoCalls(doubled, DEMO_CALLS, 20_000);
      const byTitle = (start: string) => {
        const o = outcomes.find((x) => x.call.title.startsWith(start));
        if (!o) throw new Error(`no demo call "${start}"`);
        return o;
      };
      expect(byTitle('MTS client').record?.attempts.map((a) => a.trunkId)).toEqual(['gsm-mts']);
      const megafon = byTitle('MegaFon client');
      expect(megafon.record?.attempts.map((a) => [a.trunkId, a.decision])).toEqual([['gsm-megafon', 'rotate'], ['sip-beeline', 'stop']]);
      expect(megafon.crmWrites[0]).toBe('telephony.externalcall.finish STATUS_CODE=200');
      expect(byTitle('Beeline client, busy').crmWrites).toEqual(['telephony.externalcall.finish STATUS_CODE=486']);
      const forbidden = byTitle('HR manager picks a Sales line');
      expect(forbidden.record).toBeNull();
      expect(forbidden.crmWrites).toEqual(['telephony.externalcall.finish STATUS_CODE=403']);
      expect(byTitle('HR manager not on the CRM whitelist').crmWrites).toEqual(['telephony.externalcall.hide']);
      expect(byTitle('Sales calls the water delivery').crmWrites).toEqual(['telephony.externalcall.hide']);
      expect(formatDemo(outcomes)).toContain('CHANUNAVAIL cause 68 (rotate)');
    } finally {
      await doubled.stop();
    }
  });

  it('starts again on the same database: the Bitrix24 double comes back as the installed portal', async () => {
    const env = loadEnv({ DATABASE_URL: path.join(tmp, 'again.sqlite'), PORT: '0', AGI_PORT: '0', LOG_LEVEL: 'silent' });
    const first = await startWithDoubles(env, silentLogger, { timeScale: 0.01 });
    const memberId = first.bitrix24.portal.memberId;
    await first.stop();
    const second = await startWithDoubles(env, silentLogger, { timeScale: 0.01 });
    try {
      expect(second.bitrix24.portal.memberId).toBe(memberId);
      expect(second.connector.crm.connection.installedPortal()?.clientEndpoint).toBe(`http://127.0.0.1:${second.bitrix24.port}/rest/`);
      const [outcome] = await runDemoCalls(second, DEMO_CALLS.slice(0, 1), 20_000);
      expect(outcome?.crmWrites[0]).toBe('telephony.externalcall.finish STATUS_CODE=200');
    } finally {
      await second.stop();
    }
  });

  it('never replaces a real portal installed in the database: it says so and changes nothing', async () => {
    const t = await tempSqliteDb();
    try {
      const real = {
        memberId: 'm-real', domain: 'acme.bitrix24.ru', clientEndpoint: 'https://acme.bitrix24.ru/rest/', serverEndpoint: 'https://oauth.bitrix.info/rest/',
        accessToken: 'a'.repeat(32), refreshToken: 'r'.repeat(32), expires: 2_000_000_000, expiresIn: 3600, applicationToken: 'x'.repeat(32),
        scope: 'telephony', status: 'L', userId: '1',
      };
      await new PortalRepository(t.db).saveInstall(real, 1);
      await expect(rememberedDemoPortal(t.url)).rejects.toThrow(/holds the installed Bitrix24 portal acme\.bitrix24\.ru; the demo would replace it/);
      expect((await new PortalRepository(t.db).get())?.accessToken).toBe(real.accessToken);
    } finally {
      await t.close();
    }
  });
});
