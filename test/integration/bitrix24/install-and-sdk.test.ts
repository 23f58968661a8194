import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { crmHarness, PUBLIC_URL, type Harness } from '../crm/harness.ts';

let h: Harness;
let server: Server;
let base: string;

beforeEach(async () => {
  h = await crmHarness({ installed: false });
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await h.close();
});

describe('app install (ONAPPINSTALL posted by the portal)', () => {
  it('stores the pair the OAuth server exchanged and binds ONEXTERNALCALLSTART / ONEXTERNALCALLBACKSTART to PUBLIC_URL/bitrix24/events', async () => {
    const posted = { ...h.double.portal };
    const res = await h.double.postInstall(`${base}/bitrix24/install`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'installed', bound: ['ONEXTERNALCALLSTART', 'ONEXTERNALCALLBACKSTART'] });
    const portal = await h.portals.get();
    expect(portal).toMatchObject({
      memberId: h.double.portal.memberId, domain: h.double.portal.domain, accessToken: h.double.portal.accessToken,
      refreshToken: h.double.portal.refreshToken, applicationToken: h.double.portal.applicationToken, clientEndpoint: h.double.restUrl,
    });
    // The install's own refresh token was used up by the exchange: the new pair is what is stored.
    expect(h.double.refreshCount).toBe(1);
    expect(portal?.refreshToken).not.toBe(posted.refreshToken);
    expect(await h.portals.pin()).toMatchObject({ memberId: posted.memberId, host: new URL(h.double.restUrl).host });
    expect(h.double.state.bindings.map((b) => [b.event, b.handler])).toEqual([
      ['ONEXTERNALCALLSTART', `${PUBLIC_URL}/bitrix24/events`],
      ['ONEXTERNALCALLBACKSTART', `${PUBLIC_URL}/bitrix24/events`],
    ]);
    // Events from the installed portal are now believed.
    const call = h.double.state.registerClickToCall('1', '+79261234567');
    const ev = await h.double.postEvent(`${base}/bitrix24/events`, 'ONEXTERNALCALLSTART', {
      PHONE_NUMBER: '89261234567', PHONE_NUMBER_INTERNATIONAL: '+79261234567', EXTENSION: '', USER_ID: '1', CALL_LIST_ID: '0',
      LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: call.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '797',
    });
    expect([ev.status, JSON.parse(ev.body)]).toEqual([200, { status: 'accepted' }]);
  });

  it('binds again on reinstall (Bitrix24 drops the handlers), without duplicates', async () => {
    await h.double.postInstall(`${base}/bitrix24/install`);
    expect((await h.double.postInstall(`${base}/bitrix24/install`)).status).toBe(200);
    expect(h.double.state.bindings).toHaveLength(2);
    expect(h.double.callsOf('event.bind').filter((c) => c.status === 200)).toHaveLength(4);
  });

  it('refuses another portal while one is installed, and stores nothing', async () => {
    await h.double.postInstall(`${base}/bitrix24/install`);
    const other = await startBitrix24Double({ domain: 'other.bitrix24.ru' });
    try {
      const res = await other.postInstall(`${base}/bitrix24/install`);
      expect(res.status).toBe(409);
      expect((await h.portals.get())?.memberId).toBe(h.double.portal.memberId);
      expect(other.state.bindings).toEqual([]);
      // Refused before its token was spent: the other portal can still be installed elsewhere.
      expect(other.refreshCount).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('keeps a verified install whose events could not be bound (its token is used up) and says so', async () => {
    h.double.faults.push({ method: 'event.get', kind: 'error', status: 500, error: 'INTERNAL_SERVER_ERROR', description: 'portal hiccup', times: 1 });
    const res = await h.double.postInstall(`${base}/bitrix24/install`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).message).toMatch(/stored, but the events could not be bound/);
    expect((await h.portals.get())?.refreshToken).toBe(h.double.portal.refreshToken);
    // Installing again binds them.
    expect((await h.double.postInstall(`${base}/bitrix24/install`)).status).toBe(200);
    expect(h.double.state.bindings).toHaveLength(2);
  });

  it('refuses an install without the auth block fields, naming them', async () => {
    const res = await fetch(`${base}/bitrix24/install`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'event=ONAPPINSTALL&auth%5Bdomain%5D=x.bitrix24.ru' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('auth[access_token]');
  });
});

describe('the real SDK against the double', () => {
  it('refreshes an expired token through /oauth/token/ and persists the new tokens', async () => {
    await h.double.postInstall(`${base}/bitrix24/install`);
    h.double.expireToken();
    const gateway = h.connection.gateway();
    const res = await gateway?.call('telephony.externalLine.get', {});
    expect(res?.ok).toBe(true);
    // One exchange for the install, one for the refresh.
    expect(h.double.refreshCount).toBe(2);
    const portal = await h.portals.get();
    expect([portal?.accessToken, portal?.refreshToken, portal?.expires]).toEqual([h.double.portal.accessToken, h.double.portal.refreshToken, h.double.portal.expires]);
  });

  it('sends batches of named commands and maps each result or error back', async () => {
    await h.double.postInstall(`${base}/bitrix24/install`);
    const call = h.double.state.registerClickToCall('1', '+79261234567');
    const out = await h.connection.gateway()?.batch([
      { key: 'ok', method: 'telephony.externalcall.finish', params: { CALL_ID: call.CALL_ID, USER_ID: '1', DURATION: 3, STATUS_CODE: '200' } },
      { key: 'bad', method: 'telephony.externalcall.finish', params: { CALL_ID: 'externalCall.none.1', USER_ID: '1' } },
    ]);
    expect(out?.ok).toBe(true);
    if (!out?.ok) return;
    expect(out.results.get('ok')).toMatchObject({ ok: true, result: { CALL_ID: call.CALL_ID, CALL_FAILED_CODE: '200' } });
    expect(out.results.get('bad')).toMatchObject({ ok: false, error: { description: expect.stringContaining('Call is not found') } });
    expect(h.double.received.filter((r) => r.method === 'batch')).toHaveLength(1);
  });
});
