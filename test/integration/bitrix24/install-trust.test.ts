import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBracketForm } from '../../../src/adapters/bitrix24/form.ts';
import { parseB24Event } from '../../../src/adapters/bitrix24/event.ts';
import { handleInstall } from '../../../src/app/crm/install.ts';
import type { OAuthExchange, OAuthGrant } from '../../../src/app/crm/ports.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { crmHarness, PUBLIC_URL, type Harness, type HarnessOptions } from '../crm/harness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');

let h: Harness | null = null;
const others: Bitrix24Double[] = [];

async function harness(o: HarnessOptions = {}): Promise<Harness> {
  h = await crmHarness({ installed: false, ...o });
  return h;
}
async function otherDouble(domain: string): Promise<Bitrix24Double> {
  const d = await startBitrix24Double({ domain });
  others.push(d);
  return d;
}
afterEach(async () => {
  for (const d of others.splice(0)) await d.close();
  await h?.close();
  h = null;
});

/** A body posted the way Bitrix24 posts it: form-encoded, bracketed keys, every value a string. */
function form(event: string, data: Record<string, string>, auth: Record<string, string>): string {
  return encodeBracketForm({ event, event_handler_id: event === 'ONAPPINSTALL' ? '0' : '1055', data, ts: String(Math.floor(Date.now() / 1000)), auth });
}

function postInstall(x: Harness, auth: Record<string, string>) {
  return request(x.app).post('/bitrix24/install').type('form').send(form('ONAPPINSTALL', { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' }, auth));
}

/** A click of the real portal's manager, as the portal posts it. */
function postClick(x: Harness, d: Bitrix24Double, auth: Record<string, string> = d.appAuth()) {
  const call = d.state.registerClickToCall('1', '+79261234567');
  const data = {
    PHONE_NUMBER: '89261234567', PHONE_NUMBER_INTERNATIONAL: '+79261234567', EXTENSION: '', USER_ID: '1', CALL_LIST_ID: '0',
    LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: call.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '797',
  };
  return request(x.app).post('/bitrix24/events').type('form').send(form('ONEXTERNALCALLSTART', data, auth));
}

/** What an attacker can post: the installed portal's member_id, well-formed tokens of their own, their endpoint. */
function forgedAuth(real: Bitrix24Double, endpoint: string): Record<string, string> {
  return {
    ...real.appAuth(),
    access_token: hex(24), refresh_token: hex(24), application_token: hex(16),
    domain: 'attacker.example.com', client_endpoint: endpoint, server_endpoint: endpoint,
  };
}

async function stored(x: Harness) {
  return { portal: await x.portals.get(), pin: await x.portals.pin() };
}

describe('a forged reinstall', () => {
  it('is refused and changes nothing stored: the real portal keeps working, nothing goes to the attacker', async () => {
    const x = await harness();
    expect((await postInstall(x, x.double.appAuth())).status).toBe(200);
    const before = await stored(x);
    const bindings = [...x.double.state.bindings];
    const attacker = await otherDouble('attacker.example.com');

    // Their own endpoint on 127.0.0.1: not the pinned portal (refused before any token is spent).
    const own = await postInstall(x, forgedAuth(x.double, attacker.restUrl));
    expect([own.status, own.body.error]).toEqual([409, 'INSTALL_REFUSED']);
    // The real portal's endpoint with their tokens: the OAuth server does not vouch for them.
    const borrowed = await postInstall(x, forgedAuth(x.double, x.double.restUrl));
    expect(borrowed.status).toBe(401);
    expect(borrowed.body.message).toMatch(/did not vouch.*invalid_grant/);

    expect(await stored(x)).toEqual(before);
    expect(x.double.state.bindings).toEqual(bindings);
    // The real portal's clicks are still believed; one with the attacker's application token is not.
    expect((await postClick(x, x.double)).status).toBe(200);
    expect((await postClick(x, x.double, forgedAuth(x.double, attacker.restUrl))).status).toBe(401);
    await x.settled();
    expect(x.port.requests).toHaveLength(1);
    // REST calls still go to the real portal, none to the attacker.
    expect((await x.connection.gateway()?.call('telephony.externalLine.get', {}))?.ok).toBe(true);
    expect(attacker.received).toEqual([]);
    expect(attacker.refreshCount).toBe(0);
  });

  it('is refused as a first install too: nothing is pinned or stored', async () => {
    const x = await harness();
    const attacker = await otherDouble('attacker.example.com');
    const res = await postInstall(x, forgedAuth(x.double, attacker.restUrl));
    expect(res.status).toBe(401);
    expect(await stored(x)).toEqual({ portal: null, pin: null });
    expect(x.connection.expectedPortal()).toBeNull();
    // The genuine install still works afterwards.
    expect((await postInstall(x, x.double.appAuth())).status).toBe(200);
  });
});

describe('a genuine reinstall', () => {
  it('is accepted (the OAuth server vouches), stores the new pair and binds the events again', async () => {
    const x = await harness();
    expect((await postInstall(x, x.double.appAuth())).status).toBe(200);
    const first = await stored(x);
    // Bitrix24 drops the handlers on reinstall and posts ONAPPINSTALL with a fresh token pair.
    x.double.state.bindings = [];
    const res = await postInstall(x, x.double.appAuth());
    expect([res.status, res.body.bound]).toEqual([200, ['ONEXTERNALCALLSTART', 'ONEXTERNALCALLBACKSTART']]);
    expect(x.double.state.bindings.map((b) => b.handler)).toEqual([`${PUBLIC_URL}/bitrix24/events`, `${PUBLIC_URL}/bitrix24/events`]);
    const second = await stored(x);
    expect(second.pin).toEqual(first.pin);
    expect(second.portal?.refreshToken).toBe(x.double.portal.refreshToken);
    expect(second.portal?.refreshToken).not.toBe(first.portal?.refreshToken);
    expect((await postClick(x, x.double)).status).toBe(200);
  });
});

describe('an uninstall', () => {
  it('forgets the tokens but keeps the pin: only the same portal installs again', async () => {
    const x = await harness();
    expect((await postInstall(x, x.double.appAuth())).status).toBe(200);
    const pin = await x.portals.pin();
    const uninstall = await request(x.app).post('/bitrix24/events').type('form').send(form('ONAPPUNINSTALL', { CLEAN: '0' }, x.double.appAuth()));
    expect(uninstall.status).toBe(200);
    expect(await stored(x)).toEqual({ portal: null, pin });
    const other = await otherDouble('other.bitrix24.ru');
    x.double.vouchAlsoFor(other);
    expect((await postInstall(x, other.appAuth())).status).toBe(409);
    expect(other.refreshCount).toBe(0);
    expect((await postInstall(x, x.double.appAuth())).status).toBe(200);
  });
});

describe('B24_ALLOW_HTTP_LOOPBACK', () => {
  it('off: an http:// or loopback client_endpoint is refused before the OAuth server is asked', async () => {
    const x = await harness({ allowHttpLoopback: false });
    const res = await postInstall(x, x.double.appAuth());
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('B24_ALLOW_HTTP_LOOPBACK=1');
    const plain = await postInstall(x, { ...x.double.appAuth(), client_endpoint: 'http://portal.example.com/rest/' });
    expect([plain.status, plain.body.message]).toEqual([400, 'auth[client_endpoint] must be https://']);
    expect(x.double.refreshCount).toBe(0);
    expect(await stored(x)).toEqual({ portal: null, pin: null });
  });
});

describe('what the OAuth server answers decides', () => {
  const grant = (over: Partial<OAuthGrant> = {}): OAuthGrant => ({
    accessToken: hex(24), refreshToken: hex(24), expires: 2_000_000_000, expiresIn: 3600, memberId: 'm'.repeat(32),
    clientEndpoint: 'https://portal.example.com/rest/', serverEndpoint: 'https://oauth.bitrix.info/rest/', scope: 'telephony', status: 'L', userId: '1', ...over,
  });
  const body = {
    access_token: hex(24), refresh_token: hex(24), application_token: hex(16), member_id: 'm'.repeat(32),
    domain: 'portal.example.com', client_endpoint: 'https://portal.example.com/rest/',
  };
  const install = async (x: Harness, answer: OAuthExchange) => {
    const parsed = parseB24Event({ event: 'ONAPPINSTALL', auth: body });
    if (!parsed.ok) throw new Error(parsed.error);
    return handleInstall(parsed.event, {
      portals: x.portals, clock: x.clock, publicUrl: PUBLIC_URL, pins: { memberId: null, domain: null }, allowHttpLoopback: false,
      oauth: { exchange: async () => answer },
      gatewayFor: () => {
        throw new Error('no gateway may be built for a refused install');
      },
    });
  };

  it('refuses another member_id, another endpoint, or no answer, storing nothing', async () => {
    const x = await harness();
    expect(await install(x, { ok: true, grant: grant({ memberId: 'n'.repeat(32) }) })).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('another member_id') });
    expect(await install(x, { ok: true, grant: grant({ clientEndpoint: 'https://attacker.example.com/rest/' }) })).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('another client_endpoint') });
    expect(await install(x, { ok: false, refused: false, status: 0, reason: 'ECONNREFUSED' })).toMatchObject({ ok: false, status: 503 });
    expect(await stored(x)).toEqual({ portal: null, pin: null });
  });
});

function cli(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('npx b24pbx portal reset', () => {
  it('says what it removes, asks for --yes, then lets another portal install', async () => {
    const x = await harness();
    expect((await postInstall(x, x.double.appAuth())).status).toBe(200);
    const next = await otherDouble('next.bitrix24.ru');
    // One OAuth server answers for every portal.
    x.double.vouchAlsoFor(next);
    const nextAuth = () => next.appAuth();
    expect((await postInstall(x, nextAuth())).status).toBe(409);

    const asked = await cli(['portal', 'reset'], x.dbUrl);
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain(`the pin: portal ${new URL(x.double.restUrl).host}, member_id ${x.double.portal.memberId}`);
    expect(asked.stdout).toContain(`the installed portal ${x.double.portal.domain}`);
    expect(asked.stderr).toContain('--yes');
    expect((await x.portals.pin())?.memberId).toBe(x.double.portal.memberId);

    const done = await cli(['portal', 'reset', '--yes'], x.dbUrl);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('portal reset removed:');
    expect(await stored(x)).toEqual({ portal: null, pin: null });

    const moved = await postInstall(x, nextAuth());
    expect(moved.status).toBe(200);
    expect((await x.portals.pin())).toMatchObject({ memberId: next.portal.memberId, host: new URL(next.restUrl).host });
    expect(next.state.bindings).toHaveLength(2);
    // Events now come from the next portal; the old one's are refused.
    expect((await postClick(x, next)).status).toBe(200);
    expect((await postClick(x, x.double)).status).toBe(401);
  });
});
