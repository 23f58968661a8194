import { afterEach, describe, expect, it } from 'vitest';
import { CrmEventsRepository } from '../../../src/adapters/db/repositories/crm-events-repository.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { createCrmSide, type CrmSide } from '../../../src/composition/crm-side.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { compiledTestRules, RoutingClickToCall } from './fixtures.ts';

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('createCrmSide start after a stop mid-way', () => {
  it('handles the events the previous process stored but never (or only half) handled, each once', async () => {
    const dbh = await tempSqliteDb();
    const double: Bitrix24Double = await startBitrix24Double({ authMode: 'webhook', rateLimit: false });
    const rules = compiledTestRules();
    const port = new RoutingClickToCall(() => rules);
    const repo = new CrmEventsRepository(dbh.db);
    // What the previous process left: one event put back to pending (a start that stopped early),
    // one taken for processing when it was received.
    const a = double.state.registerClickToCall('1', '+79261234567');
    const b = double.state.registerClickToCall('3', '+79161234567');
    const click = (callId: string, user: string, phone: string) => ({ PHONE_NUMBER_INTERNATIONAL: phone, USER_ID: user, CALL_ID: callId, LINE_NUMBER: '', IS_MOBILE: '0' });
    await repo.record({ event: 'ONEXTERNALCALLSTART', eventKey: a.CALL_ID, data: click(a.CALL_ID, '1', '+79261234567'), ts: null }, Date.now());
    expect(await repo.resetProcessing()).toBe(1);
    const second = await repo.record({ event: 'ONEXTERNALCALLSTART', eventKey: b.CALL_ID, data: click(b.CALL_ID, '3', '+79161234567'), ts: null }, Date.now());
    expect(second.stored?.state).toBe('processing');

    const env = loadEnv({ B24_MODE: 'webhook', B24_WEBHOOK_URL: double.webhookUrl, B24_APPLICATION_TOKEN: double.portal.applicationToken, OUTBOX_POLL_MS: '20' });
    const side: CrmSide = createCrmSide({
      db: dbh.db, env, rules: { current: () => rules }, clickToCall: port, logger: silentLogger,
      endedCalls: { listPending: async () => [], markDone: async () => undefined },
    });
    cleanup = async () => {
      await side.stop();
      await double.close();
      await dbh.close();
    };
    await side.start();
    await until(async () => (await repo.listUnprocessed()).length === 0, 'the stored events to be handled');
    expect(port.originated.map((r) => r.crmCallId).sort()).toEqual([a.CALL_ID, b.CALL_ID].sort());
    expect(port.requests).toHaveLength(2);
  });
});
