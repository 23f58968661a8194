import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookClient } from '../../../src/adapters/bitrix24/client.ts';
import { parseBracketForm } from '../../../src/adapters/bitrix24/form.ts';
import { SdkGateway } from '../../../src/adapters/bitrix24/gateway.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { timeBlock } from '../../../src/doubles/bitrix24/time-block.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';

let double: Bitrix24Double | null = null;
afterEach(async () => {
  await double?.close();
  double = null;
});

async function rest(d: Bitrix24Double, method: string, params: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${d.restUrl}${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...params, auth: d.portal.accessToken }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function doc(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(sharedPath('bitrix24-events', 'b24restdocs', name), 'utf8')) as Record<string, unknown>;
}

function keys(v: unknown): string[] {
  return Object.keys(v as Record<string, unknown>).sort();
}

const TIME_KEYS = ['date_finish', 'date_start', 'duration', 'finish', 'operating', 'operating_reset_at', 'processing', 'start'];

describe('Bitrix24 double: behaviour', () => {
  it('answers every success with the time block the SDK needs', () => {
    expect(keys(timeBlock(1_000, 2_500))).toEqual(TIME_KEYS);
  });

  it('register: a unique CALL_ID per EXTERNAL_CALL_ID, the 30-minute merge trap without it', async () => {
    double = await startBitrix24Double({ rateLimit: false });
    const p = { USER_ID: '1', PHONE_NUMBER: '+79261234567', TYPE: 1, CALL_START_DATE: '2026-11-23T10:00:00+00:00' };
    const a = await rest(double, 'telephony.externalcall.register', p);
    const b = await rest(double, 'telephony.externalcall.register', p);
    expect((a.body.result as Record<string, unknown>).CALL_ID).toBe((b.body.result as Record<string, unknown>).CALL_ID);
    const c = await rest(double, 'telephony.externalcall.register', { ...p, EXTERNAL_CALL_ID: '1732356000.1' });
    const d = await rest(double, 'telephony.externalcall.register', { ...p, EXTERNAL_CALL_ID: '1732356000.2' });
    expect((c.body.result as Record<string, unknown>).CALL_ID).not.toBe((d.body.result as Record<string, unknown>).CALL_ID);
    expect((await rest(double, 'telephony.externalcall.register', { ...p, TYPE: 9 })).body).toEqual({ error: 'ERROR_CORE', error_description: 'Unknown TYPE' });
  });

  it('finish: "Call is not found" for an unknown or already finished call', async () => {
    double = await startBitrix24Double({ rateLimit: false });
    const reg = await rest(double, 'telephony.externalcall.register', { USER_ID: '1', PHONE_NUMBER: '+79261234567', TYPE: 1, EXTERNAL_CALL_ID: 'x' });
    const callId = (reg.body.result as Record<string, unknown>).CALL_ID;
    expect((await rest(double, 'telephony.externalcall.finish', { CALL_ID: callId, USER_ID: '1', DURATION: 5 })).status).toBe(200);
    const again = await rest(double, 'telephony.externalcall.finish', { CALL_ID: callId, USER_ID: '1', DURATION: 5 });
    expect([again.status, again.body.error_description]).toEqual([400, 'Call is not found (call should be registered prior to finishing)']);
  });

  it('rate limit: a leaky bucket (burst 50, 2/s on the injected clock) answering 503 QUERY_LIMIT_EXCEEDED', async () => {
    let now = 0;
    double = await startBitrix24Double({ clock: () => now });
    const statuses: number[] = [];
    for (let i = 0; i < 52; i++) statuses.push((await rest(double, 'telephony.externalLine.get', {})).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    const refused = await rest(double, 'telephony.externalLine.get', {});
    // Bitrix24's own shape: HTTP 503, {"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}.
    expect([refused.status, refused.body]).toEqual([503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }]);
    now += 1000; // two requests drained
    expect((await rest(double, 'telephony.externalLine.get', {})).status).toBe(200);
    expect((await rest(double, 'telephony.externalLine.get', {})).status).toBe(200);
    expect((await rest(double, 'telephony.externalLine.get', {})).status).toBe(503);
  });

  it('latency: a request is processed only once its latency has passed; others overtake it', async () => {
    const asked: string[] = [];
    double = await startBitrix24Double({ rateLimit: false, latencyMs: (method) => { asked.push(method); return method === 'telephony.externalcall.register' ? 300 : 0; } });
    const register = rest(double, 'telephony.externalcall.register', { USER_ID: 1, PHONE_NUMBER: '+79161234567', TYPE: 2, EXTERNAL_CALL_ID: 'L1' });
    // Sent after the register, answered before it: the register is still on its way to the portal.
    expect((await rest(double, 'telephony.externalLine.get', {})).status).toBe(200);
    expect(double.state.calls.size).toBe(0);
    expect((await register).status).toBe(200);
    expect(double.state.calls.size).toBe(1);
    expect(asked.sort()).toEqual(['telephony.externalLine.get', 'telephony.externalcall.register']);
  });

  it('outages: 503 for everything, then connection refused, then back', async () => {
    double = await startBitrix24Double({ rateLimit: false });
    await double.setOutage('unavailable');
    expect((await rest(double, 'event.get', {})).status).toBe(503);
    await double.setOutage('refuse');
    await expect(fetch(`${double.restUrl}event.get`, { method: 'POST' })).rejects.toThrow();
    await double.setOutage('none');
    expect((await rest(double, 'event.get', {})).status).toBe(200);
  });

  it('posts events as Bitrix24 does: form-encoded, bracketed keys, all strings, in the captured order', async () => {
    double = await startBitrix24Double();
    let received = '';
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received = `${req.headers['content-type']}\n${body}`;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      await double.postEvent(`http://127.0.0.1:${(sink.address() as AddressInfo).port}/`, 'ONEXTERNALCALLSTART', { USER_ID: 1, IS_MOBILE: 0, CALL_ID: 'externalCall.x.1' });
    } finally {
      sink.close();
    }
    const [type, body] = received.split('\n');
    expect(type).toBe('application/x-www-form-urlencoded');
    expect(body).toMatch(/^event=ONEXTERNALCALLSTART&event_handler_id=1055&data%5BUSER_ID%5D=1&data%5BIS_MOBILE%5D=0&data%5BCALL_ID%5D=externalCall.x.1&ts=\d+&auth%5Baccess_token%5D=/);
    const parsed = parseBracketForm(body ?? '');
    expect(Object.values(parsed.data as Record<string, unknown>).every((v) => typeof v === 'string')).toBe(true);
  });

  it('webhook mode: the SDK (B24Hook) reaches the loopback double with the secret in the path', async () => {
    double = await startBitrix24Double({ authMode: 'webhook', webhook: { userId: 7, secret: 'hook-secret-1' }, rateLimit: false });
    const gateway = new SdkGateway(createWebhookClient(double.webhookUrl));
    expect(await gateway.call('telephony.externalLine.get', {})).toMatchObject({ ok: true, result: [] });
    const wrong = new SdkGateway(createWebhookClient(`${double.baseUrl}/rest/7/wrong-secret/`));
    const res = await wrong.call('telephony.externalLine.get', {});
    expect(res).toMatchObject({ ok: false, error: { status: 401 } });
    expect(JSON.stringify(res)).not.toContain('wrong-secret');
    expect(() => createWebhookClient('http://portal.example.com/rest/1/s/')).toThrow(/https/);
  });
});

// The documented responses in ../shared: the double must answer with the same keys.
describe.skipIf(!hasSharedData)('Bitrix24 double: shapes match the documented responses', () => {
  it('register, finish, attachRecord, hide, externalLine, user.get, searchCrmEntities', async () => {
    double = await startBitrix24Double({ rateLimit: false, users: [{ ID: '1', NAME: 'Vadim', UF_PHONE_INNER: '100', UF_DEPARTMENT: [1] }], crmEntities: { 19062195047: [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 651, ASSIGNED_BY_ID: 1, NAME: 'John Doe' }] } });
    const reg = await rest(double, 'telephony.externalcall.register', { USER_ID: '1', PHONE_NUMBER: '19062195047', TYPE: 2, EXTERNAL_CALL_ID: 'e1' });
    expect(keys(reg.body.result)).toEqual(keys(doc('telephony.externalcall.register.response-200.json').result));
    expect(keys(reg.body.time)).toEqual(keys(doc('telephony.externalcall.register.response-200.json').time));
    const callId = (reg.body.result as Record<string, unknown>).CALL_ID;
    expect(callId).toMatch(/^externalCall\.[0-9a-f]{32}\.\d+$/);
    const fin = await rest(double, 'telephony.externalcall.finish', { CALL_ID: callId, USER_ID: '1', DURATION: 95, STATUS_CODE: '200' });
    expect(keys(fin.body.result)).toEqual(keys(doc('telephony.externalcall.finish.response-200.json').result));
    expect(typeof (fin.body.result as Record<string, unknown>).CALL_FAILED_CODE).toBe('string');
    const att = await rest(double, 'telephony.externalcall.attachRecord', { CALL_ID: callId, FILENAME: 'a.mp3', FILE_CONTENT: Buffer.from('ID3').toString('base64') });
    expect(keys(att.body.result)).toEqual(keys(doc('telephony.externalcall.attachRecord.response-200.with-file-content.json').result));
    const upload = await rest(double, 'telephony.externalcall.attachRecord', { CALL_ID: callId, FILENAME: 'a.mp3' });
    expect(keys(upload.body.result)).toEqual(keys(doc('telephony.externalcall.attachRecord.response-200.upload-url.json').result));
    const noFile = await rest(double, 'telephony.externalcall.attachRecord', { CALL_ID: callId });
    expect(noFile.body).toEqual(doc('telephony.externalcall.attachRecord.error-400.json'));
    expect((await rest(double, 'telephony.externalcall.hide', { CALL_ID: callId, USER_ID: 1 })).body.result).toBe(doc('telephony.externalcall.hide.response-200.json').result);
    const add = await rest(double, 'telephony.externalLine.add', { NUMBER: '14151234567', NAME: 'Support Line', CRM_AUTO_CREATE: 'N' });
    expect(keys(add.body.result)).toEqual(keys(doc('telephony.externalLine.add.response-200.json').result));
    const lines = await rest(double, 'telephony.externalLine.get', {});
    expect(keys((lines.body.result as unknown[])[0])).toEqual(keys((doc('telephony.externalLine.get.response-200.json').result as unknown[])[0]));
    const users = await rest(double, 'user.get', {});
    const docUser = (doc('user.get.response-200.json').result as Record<string, unknown>[])[0] as Record<string, unknown>;
    const ours = (users.body.result as Record<string, unknown>[])[0] as Record<string, unknown>;
    for (const k of ['ID', 'ACTIVE', 'NAME', 'UF_DEPARTMENT', 'USER_TYPE']) expect(k in docUser && k in ours, k).toBe(true);
    expect(Array.isArray(ours.UF_DEPARTMENT)).toBe(true);
    expect(users.body.total).toBe(1);
    const search = await rest(double, 'telephony.externalcall.searchCrmEntities', { PHONE_NUMBER: '19062195047' });
    const docSearch = (doc('telephony.externalcall.searchCrmEntities.response-200.json').result as Record<string, unknown>[])[0] as Record<string, unknown>;
    const ourSearch = (search.body.result as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(keys(ourSearch)).toEqual(keys(docSearch));
    expect(keys(ourSearch.ASSIGNED_BY)).toEqual(keys(docSearch.ASSIGNED_BY));
    expect((await rest(double, 'telephony.externalcall.searchCrmEntities', {})).body).toEqual(doc('telephony.externalcall.searchCrmEntities.error-400.json'));
  });

  it('its app-event auth block carries the keys of the documented application event', async () => {
    double = await startBitrix24Double();
    const documented = JSON.parse(fs.readFileSync(sharedPath('bitrix24-events', 'b24restdocs', 'event.ONEXTERNALCALLSTART.json'), 'utf8')) as { auth: Record<string, string> };
    for (const k of Object.keys(documented.auth)) expect(double.appAuth(), k).toHaveProperty(k);
    const hook = JSON.parse(fs.readFileSync(sharedPath('bitrix24-events', 'b24restdocs', 'event.generic-ONCRMDEALADD.to-outgoing-webhook.json'), 'utf8')) as { auth: Record<string, string> };
    expect(keys(double.webhookAuth())).toEqual(keys(hook.auth));
  });
});
