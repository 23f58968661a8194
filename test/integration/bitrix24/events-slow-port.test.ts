import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/adapters/http/app.ts';
import { CrmEventsRepository } from '../../../src/adapters/db/repositories/crm-events-repository.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { createCrmSide, type CrmSide } from '../../../src/composition/crm-side.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { compiledTestRules } from '../crm/fixtures.ts';
import { SlowClickToCall } from './slow-port.ts';

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The production wiring (createCrmSide, real timers, real HTTP) with a PBX that takes 2 s to
 * accept an Originate: Bitrix24 gets its answer as soon as the event is stored. (The reply
 * latency in milliseconds is measured by `bench/crm-outbox.bench.ts`, not asserted here.)
 */
describe('POST /bitrix24/events with a slow click-to-call port', () => {
  const rules = compiledTestRules();
  const port = new SlowClickToCall(2000);
  let dbh: Awaited<ReturnType<typeof tempSqliteDb>>;
  let double: Bitrix24Double;
  let side: CrmSide;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dbh = await tempSqliteDb();
    double = await startBitrix24Double({ authMode: 'webhook', rateLimit: false });
    const env = loadEnv({ B24_MODE: 'webhook', B24_WEBHOOK_URL: double.webhookUrl, B24_APPLICATION_TOKEN: double.portal.applicationToken, OUTBOX_POLL_MS: '20' });
    side = createCrmSide({
      db: dbh.db, env, rules: { current: () => rules }, clickToCall: port, logger: silentLogger,
      endedCalls: { listPending: async () => [], markDone: async () => undefined },
    });
    await side.connection.init();
    const app = createHttpApp({ logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }), readiness: [], routers: [{ path: '/', router: side.router }] });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitrix24/events`;
  });
  afterAll(async () => {
    port.release();
    await side.stop();
    await new Promise((r) => server.close(r));
    await double.close();
    await dbh.close();
  });

  it('answers with the event stored while the dial is still in progress, then dials once', async () => {
    const call = double.state.registerClickToCall('1', '+79261234567');
    const data = { PHONE_NUMBER: '89261234567', PHONE_NUMBER_INTERNATIONAL: '+79261234567', USER_ID: '1', CALL_ID: call.CALL_ID, LINE_NUMBER: '', IS_MOBILE: '0' };
    const reply = await double.postEvent(url, 'ONEXTERNALCALLSTART', data, double.webhookAuth());
    expect([reply.status, JSON.parse(reply.body)]).toEqual([200, { status: 'accepted' }]);
    // At the reply the event is durable and the PBX has not answered yet.
    expect(port.completed).toEqual([]);
    expect((await new CrmEventsRepository(dbh.db).listUnprocessed()).map((e) => e.eventKey)).toEqual([call.CALL_ID]);
    expect(reply.elapsedMs).toBeLessThan(2000);
    await until(() => port.started.length === 1, 'the dial to start');
    // Bitrix24 delivers again while the first dial is still running: stored once, never dialled twice.
    const again = await double.postEvent(url, 'ONEXTERNALCALLSTART', data, double.webhookAuth());
    expect(JSON.parse(again.body)).toEqual({ status: 'duplicate' });
    port.release();
    await until(() => port.completed.length === 1, 'the dial to complete');
    await until(async () => (await new CrmEventsRepository(dbh.db).listUnprocessed()).length === 0, 'the event to be marked handled');
    expect(port.started).toHaveLength(1);
  });
});
