import type { Knex } from 'knex';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBracketForm } from '../../../src/adapters/bitrix24/form.ts';
import { createHttpApp } from '../../../src/adapters/http/app.ts';
import { createLogger } from '../../../src/adapters/logging/logger.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { createCrmSide, type CrmSide } from '../../../src/composition/crm-side.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { compiledTestRules, manualClock, RoutingClickToCall } from './fixtures.ts';

const HOOK_SECRET = 'hOoKsEcReT4e9f1c2d7a';
const CLIENT_SECRET = 'cLiEnTsEcReT-8a7b6c5d4e3f';
const ADMIN_TOKEN = 'admin-token-0123456789';

/** Every log line the connector writes, captured as text (pino writes synchronously to this sink). */
function captureLogs(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('trace', { write: (s: string) => void lines.push(s) }) };
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Wired {
  side: CrmSide;
  app: ReturnType<typeof createHttpApp>;
  clock: ReturnType<typeof manualClock>;
  double: Bitrix24Double;
  logs: string[];
  db: Knex;
  close(): Promise<void>;
}

async function wire(mode: 'app' | 'webhook', double: Bitrix24Double): Promise<Wired> {
  const dbh = await tempSqliteDb();
  const clock = manualClock(Date.now());
  const { lines, logger } = captureLogs();
  const rules = compiledTestRules();
  const env = loadEnv({
    B24_MODE: mode, ADMIN_TOKEN, OUTBOX_MAX_ATTEMPTS: '3', B24_HTTP_TIMEOUT_MS: '300', PUBLIC_URL: 'https://pbx.example.com',
    ...(mode === 'webhook'
      ? { B24_WEBHOOK_URL: double.webhookUrl, B24_APPLICATION_TOKEN: double.portal.applicationToken }
      : { B24_CLIENT_ID: 'local.app', B24_CLIENT_SECRET: CLIENT_SECRET, B24_OAUTH_URL: double.baseUrl, B24_ALLOW_HTTP_LOOPBACK: '1' }),
  });
  const side = createCrmSide({
    db: dbh.db, env, rules: { current: () => rules }, clickToCall: new RoutingClickToCall(() => rules), logger, clock,
    endedCalls: { listPending: async () => [], markDone: async () => undefined },
  });
  await side.connection.init();
  const app = createHttpApp({
    logger, metrics: createMetrics({ defaultMetrics: false }), readiness: [],
    routers: [{ path: '/', router: side.router }, { path: '/admin', router: side.adminRouter }],
  });
  return { side, app, clock, double, logs: lines, db: dbh.db, close: async () => {
    await side.stop();
    await dbh.close();
  } };
}

/** Drains the outbox through its retries (the manual clock skips the backoff). */
async function drain(w: Wired, rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await w.side.worker.drainUntilIdle();
    w.clock.advance(15 * 60_000);
  }
}

/** Everything a secret could leak into: log lines, HTTP bodies, stored errors and outcomes. */
async function leakSurface(w: Wired, bodies: string[]): Promise<string> {
  const outbox = await w.db('crm_outbox').select('last_error', 'result', 'params');
  const events = await w.db('crm_events').select('outcome', 'data');
  return [...w.logs, ...bodies, JSON.stringify(outbox), JSON.stringify(events)].join('\n');
}

let wired: Wired | null = null;
afterEach(async () => {
  await wired?.close();
  await wired?.double.close();
  wired = null;
});

describe('secrets never reach logs, HTTP error bodies or stored errors', () => {
  it('webhook mode: forged events, SDK errors, outbox failures and failed syncs', async () => {
    const double = await startBitrix24Double({ authMode: 'webhook', webhook: { userId: 7, secret: HOOK_SECRET }, rateLimit: false });
    wired = await wire('webhook', double);
    const w = wired;
    const token = double.portal.applicationToken;
    const bodies: string[] = [];
    const post = async (auth: Record<string, string>, data: Record<string, string>) => {
      const res = await request(w.app).post('/bitrix24/events').type('form')
        .send(encodeBracketForm({ event: 'ONEXTERNALCALLSTART', event_handler_id: '3', data, ts: '1773236988', auth }));
      bodies.push(res.text);
      return res;
    };
    const call = double.state.registerClickToCall('1', '+79261234567');
    const data = { PHONE_NUMBER: '123', PHONE_NUMBER_INTERNATIONAL: '', USER_ID: '1', CALL_ID: call.CALL_ID, LINE_NUMBER: '', IS_MOBILE: '0' };

    // A forger guessing tokens: 401, the reason only in the log (without the token either way).
    expect((await post({ ...double.webhookAuth(), application_token: `${token.slice(0, -1)}x` }, data)).status).toBe(401);
    // A genuine click to an invalid number: refused, so a finish (404) is enqueued.
    expect((await post(double.webhookAuth(), data)).status).toBe(200);
    await until(async () => (await w.side.outbox.list()).length === 1, 'the finish to be enqueued');

    // The portal fails in every way while the finish is sent: a timeout, connection refused, then
    // an error echoing the request URL and token (as a proxy error page might) — and it is parked.
    await double.setOutage('hang');
    await drain(w, 1);
    await double.setOutage('refuse');
    await drain(w, 1);
    await double.setOutage('none');
    double.faults.push({ method: 'telephony.externalcall.finish', kind: 'error', status: 500, error: 'INTERNAL_SERVER_ERROR', description: `upstream failed for ${double.webhookUrl}telephony.externalcall.finish?auth=${token}&application_token=${token}`, times: 1 });
    await drain(w, 2);
    const [parked] = await w.side.outbox.list();
    expect(parked).toMatchObject({ state: 'parked', attempts: 3 });
    expect(parked?.lastError).toMatch(/^gave up after 3 attempts; last: INTERNAL_SERVER_ERROR \(HTTP 500\): upstream failed for .*\/rest\/<user>\/\[redacted\]\/.*auth=\[redacted\]/);

    // Syncs failing while the portal is down answer 502 with a reason.
    await double.setOutage('unavailable');
    for (const path of ['/admin/users/sync', '/admin/lines/sync']) {
      const res = await request(w.app).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.status).toBe(502);
      bodies.push(res.text);
    }
    await double.setOutage('none');

    const surface = await leakSurface(w, bodies);
    // The checks are real: the failures did get logged and stored.
    expect(surface).toMatch(/outbox entry parked/);
    expect(surface).toMatch(/REQUEST_TIMEOUT/);
    expect(surface).toMatch(/ECONNREFUSED/);
    expect(surface).toMatch(/SYNC_FAILED/);
    expect(surface).toMatch(/not from the installed portal/);
    for (const secret of [HOOK_SECRET, token, double.webhookUrl, ADMIN_TOKEN]) expect(surface).not.toContain(secret);
  });

  it('app mode: a refused install, a failed token refresh and outbox errors never show tokens or the client secret', async () => {
    const double = await startBitrix24Double({ clientId: 'local.app', clientSecret: 'not-what-the-connector-has', rateLimit: false });
    wired = await wire('app', double);
    const w = wired;
    const first = { ...double.portal };
    const bodies: string[] = [];
    const base = await new Promise<string>((resolve) => {
      const server = w.app.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
      });
      const close = w.close;
      w.close = async () => {
        await new Promise((r) => server.close(r));
        await close();
      };
    });

    // The OAuth server refuses the app's credentials: install refused (401), nothing stored.
    const refused = await double.postInstall(`${base}/bitrix24/install`);
    expect(refused.status).toBe(401);
    bodies.push(refused.body);
    // Verified, but event.bind refused with an answer echoing the token (502).
    double.setClientSecret(CLIENT_SECRET);
    double.faults.push({ method: 'event.bind', kind: 'error', status: 400, error: 'ERROR_CORE', description: `handler rejected (auth=${double.portal.accessToken})`, times: 1 });
    const unbound = await double.postInstall(`${base}/bitrix24/install`);
    expect(unbound.status).toBe(502);
    bodies.push(unbound.body);
    // A clean install; then the app's secret is regenerated on the portal, the access token
    // expires and the refresh fails.
    expect((await double.postInstall(`${base}/bitrix24/install`)).status).toBe(200);
    double.setClientSecret('regenerated-on-the-portal');
    double.expireToken();
    await w.side.outbox.enqueue({ dedupeKey: 'hide:x', method: 'telephony.externalcall.hide', params: { CALL_ID: 'externalCall.x.1', USER_ID: '1' } }, w.clock.now());
    await drain(w, 4);
    const [entry] = await w.side.outbox.list();
    expect(entry?.state).toBe('parked');

    const surface = await leakSurface(w, bodies);
    expect(surface).toMatch(/INSTALL_REFUSED|install refused/);
    expect(entry?.lastError).toBeTruthy();
    const secrets = [CLIENT_SECRET, first.accessToken, first.refreshToken, first.applicationToken, double.portal.accessToken, double.portal.refreshToken, w.side.connection.installedPortal()?.refreshToken ?? 'none'];
    for (const secret of secrets) expect(surface).not.toContain(secret);
  });
});
