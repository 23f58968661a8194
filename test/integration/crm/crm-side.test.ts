import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/adapters/http/app.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import { loadEnv } from '../../../src/config/env.ts';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { createCrmSide, type CrmSide } from '../../../src/composition/crm-side.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { callRecord, compiledTestRules, RoutingClickToCall, tempRecordings } from './fixtures.ts';

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The whole Bitrix24 side as the composition root wires it, with real timers, against the double. */
describe('createCrmSide (wired as in production)', () => {
  const rec = tempRecordings();
  const rules = compiledTestRules();
  const port = new RoutingClickToCall(() => rules);
  const callEvents = new EventEmitter();
  const pending: CallRecord[] = [];
  let dbh: Awaited<ReturnType<typeof tempSqliteDb>>;
  let double: Bitrix24Double;
  let side: CrmSide;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dbh = await tempSqliteDb();
    double = await startBitrix24Double({ clientId: 'app.id', clientSecret: 'app.secret', users: [{ ID: '1', NAME: 'Sales manager', UF_PHONE_INNER: '100', UF_DEPARTMENT: [1] }], departments: [{ ID: '1', NAME: 'Sales' }] });
    const env = loadEnv({
      B24_MODE: 'app', B24_CLIENT_ID: 'app.id', B24_CLIENT_SECRET: 'app.secret', PUBLIC_URL: 'https://pbx.example.com',
      B24_OAUTH_URL: double.baseUrl, B24_ALLOW_HTTP_LOOPBACK: '1',
      RECORDINGS_DIR: rec.dir, OUTBOX_POLL_MS: '20', ADMIN_TOKEN: 'admin-token-0123456789',
    });
    side = createCrmSide({
      db: dbh.db, env, rules: { current: () => rules }, clickToCall: port, callEvents, logger: silentLogger,
      endedCalls: {
        listPending: async (limit) => pending.splice(0, limit),
        markDone: async (_id: string, _trx: Knex.Transaction) => undefined,
      },
    });
    await side.start();
    const app = createHttpApp({ logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }), readiness: [], routers: [{ path: '/', router: side.router }, { path: '/admin', router: side.adminRouter }] });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await side.stop();
    await new Promise((r) => server.close(r));
    await double.close();
    await dbh.close();
    rec.cleanup();
  });

  it('installs, publishes the lines, syncs the users, dials a click and writes its record', async () => {
    expect((await double.postInstall(`${base}/bitrix24/install`)).status).toBe(200);
    await until(() => double.state.lines.has('auto') && double.state.lines.has('101'), 'line sync');
    await until(async () => (await side.directory.load()).users.length === 1, 'user sync');

    const call = double.state.registerClickToCall('1', '+79261234567');
    const res = await double.postEvent(`${base}/bitrix24/events`, 'ONEXTERNALCALLSTART', {
      PHONE_NUMBER: '89261234567', PHONE_NUMBER_INTERNATIONAL: '+79261234567', EXTENSION: '', USER_ID: '1', CALL_LIST_ID: '0',
      LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: call.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '797',
    });
    expect(res.status).toBe(200);
    await until(() => port.originated.length === 1, 'originate');

    pending.push(callRecord({ crmCallId: call.CALL_ID, userId: '1', origin: 'crm', recording: rec.file, statusCode: '200', durationSec: 42 }));
    callEvents.emit('call-ended');
    await until(() => call.records.length === 1, 'finish and recording');
    expect(call.finished).toMatchObject({ STATUS_CODE: '200', DURATION: 42 });
  });

  it('handles a callback request: responsible manager, register TYPE 4 through the running outbox, then dial', async () => {
    expect((await double.postInstall(`${base}/bitrix24/install`)).status).toBe(200);
    double.state.crmEntities.set('79165550000', [{ CRM_ENTITY_TYPE: 'LEAD', CRM_ENTITY_ID: 12, ASSIGNED_BY_ID: 1, NAME: 'Site visitor' }]);
    const res = await double.postEvent(`${base}/bitrix24/events`, 'ONEXTERNALCALLBACKSTART', {
      PHONE_NUMBER: '+79165550000', TEXT: 'callback', VOICE: 'ruinternalfemale', CRM_ENTITY_TYPE: 'LEAD', CRM_ENTITY_ID: '12', LINE_NUMBER: '',
    }, double.appAuth(), '1053');
    expect(res.status).toBe(200);
    await until(() => port.originated.some((r) => r.number === '+79165550000'), 'callback dial');
    const registered = [...double.state.calls.values()].find((c) => c.TYPE === 4);
    expect(port.originated.find((r) => r.number === '+79165550000')?.crmCallId).toBe(registered?.CALL_ID);
  });
});
