import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logging/logger.ts';
import { scaledClock } from '../../../src/app/crm/clock.ts';
import { acceptedFinishes, click, postStart, settle, startEventData, startService, waitFor, type Service } from './harness.ts';

const ADMIN_TOKEN = 'admin-token-5f1c9e7a2b4d8c03';

/**
 * What an operator sees of the running service: health, readiness, metrics, the admin API, and
 * logs that never carry a secret. Every log line of the connector, at trace level, is kept.
 */
describe('operating the service', () => {
  let s: Service;
  const logLines: string[] = [];
  beforeAll(async () => {
    s = await startService({
      trunks: [{ match: '*', outcome: { kind: 'answer', ringMs: 200, talkMs: 2000 } }],
      env: { ADMIN_TOKEN, OUTBOX_POLL_MS: '1000' },
      // The outbox's retry backoff runs 50 times faster (the portal is down for a while below).
      crmClock: scaledClock(50),
      logger: createLogger('trace', { write: (line: string) => void logLines.push(line) }),
    });
  });
  afterAll(async () => {
    await s.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.baseUrl}${path}`, { headers });

  it('/healthz answers 200, /readyz 200 with the database, AMI and CRM checks all true', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: true, ami: true, crm: true } });
  });

  it('a call (token refresh, portal down for a while), a forged event and admin requests: the metrics count the call, admin needs the token, no secret reaches the logs', async () => {
    // The paths most likely to print a secret run too: a token refresh (client secret) and failing writes.
    s.bitrix24.expireToken();
    await s.bitrix24.setOutage('unavailable');
    const callId = await click(s, { userId: '1', number: '+79151234567' });
    await waitFor('a failed write', async () => (await s.connector.crm.outbox.list({ state: 'pending' })).some((e) => e.lastError !== null));
    await s.bitrix24.setOutage('none');
    await settle(s, callId);
    expect(s.bitrix24.refreshCount).toBeGreaterThanOrEqual(1);
    expect(acceptedFinishes(s, callId).map((f) => f.params.STATUS_CODE)).toEqual(['200']);
    // attachRecord carries the recording: the signed download URL path must not leak its secret either.
    expect(s.bitrix24.callsOf('telephony.externalcall.attachRecord').filter((r) => r.params.CALL_ID === callId && r.status === 200)).toHaveLength(1);

    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^b24pbx_calls_total\{[^}]*status="200"[^}]*\} 1$/m);

    const explain = '/admin/route/explain?user=1&number=%2B79151234567&origin=crm';
    expect((await get(explain)).status).toBe(401);
    expect((await get(explain, { Authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const allowed = await get(explain, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(allowed.status).toBe(200);
    expect(JSON.stringify(await allowed.json())).toContain('gsm-mts');

    // The inbound twin of `inbound explain`: a Saturday call to the main line goes to the closed scenario.
    const inbound = '/admin/inbound/explain?did=84951234500&from=79161234567&at=2026-12-05T12:00:00%2B03:00';
    expect((await get(inbound)).status).toBe(401);
    const path = await get(inbound, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(path.status).toBe(200);
    const explained = await path.json() as { steps: { text: string }[]; end: string };
    expect(explained.steps.map((st) => st.text)).toEqual(['play closed', 'hang up (hang-up step closed#2)']);
    expect((await get('/admin/inbound/explain?did=84951234500&keys=x', { Authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(400);

    const forged = { ...s.bitrix24.appAuth(), application_token: 'f0'.repeat(16) };
    const registered = s.bitrix24.state.registerClickToCall('1', '+79151234561', '');
    expect((await postStart(s, startEventData(registered.CALL_ID, { userId: '1', number: '+79151234561' }), forged)).status).toBe(401);

    const env = s.connector.env;
    const secrets: Record<string, string | undefined> = {
      AMI_SECRET: env.AMI_SECRET,
      B24_CLIENT_SECRET: env.B24_CLIENT_SECRET,
      ADMIN_TOKEN: env.ADMIN_TOKEN,
      RECORD_URL_SECRET: env.RECORD_URL_SECRET,
      'application token': s.bitrix24.portal.applicationToken,
      'access token': s.bitrix24.portal.accessToken,
      'refresh token': s.bitrix24.portal.refreshToken,
    };
    expect(logLines.length).toBeGreaterThan(10);
    // The call itself was logged (so the scan below looks at a full call, not an empty log).
    expect(logLines.some((l) => l.includes(callId))).toBe(true);
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toBeTruthy();
      const leaks = logLines.filter((l) => l.includes(String(value)));
      expect(leaks, `${name} appears in the log`).toEqual([]);
    }
  });
});
