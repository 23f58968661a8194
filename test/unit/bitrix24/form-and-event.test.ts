import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBracketForm, FormError, parseBracketForm } from '../../../src/adapters/bitrix24/form.ts';
import { eventDigest, flatData, parseB24Event, verifyEventAuth } from '../../../src/adapters/bitrix24/event.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';

const EVENTS = ['bitrix24-events'];

function sharedJson(...parts: string[]): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(sharedPath(...EVENTS, ...parts), 'utf8')) as Record<string, unknown>;
}

/** A body shaped like the b24phpsdk capture, generated here so the same path runs on a bare clone. */
const OWN_FIXTURE = 'event=ONCRMCONTACTADD&event_handler_id=58&data%5BFIELDS%5D%5BID%5D=134806&ts=1727018926'
  + '&auth%5Baccess_token%5D=tok&auth%5Bexpires%5D=1727022526&auth%5Bexpires_in%5D=3600&auth%5Bscope%5D=crm%2Cplacement%2Cuser_brief'
  + '&auth%5Bdomain%5D=portal.example.com&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bstatus%5D=L'
  + '&auth%5Bclient_endpoint%5D=https%3A%2F%2Fportal.example.com%2Frest%2F&auth%5Bmember_id%5D=010b6886ebc205e43ae65000ee00addb'
  + '&auth%5Buser_id%5D=1&auth%5Bapplication_token%5D=3c6c9248ec54af6bea1159b43ee0ab32';

describe('Bitrix24 form bodies', () => {
  it('parses the bracketed keys of an event body into nested string values', () => {
    const body = parseBracketForm(OWN_FIXTURE);
    expect(body.event).toBe('ONCRMCONTACTADD');
    expect(body.data).toEqual({ FIELDS: { ID: '134806' } });
    expect((body.auth as Record<string, string>).scope).toBe('crm,placement,user_brief');
    expect((body.auth as Record<string, string>).client_endpoint).toBe('https://portal.example.com/rest/');
  });

  // The real wire body from bitrix24/b24phpsdk's tests lives in ../shared (not copied into the repo).
  it.skipIf(!hasSharedData)('parses the real captured form body (b24phpsdk) the same way', () => {
    const raw = fs.readFileSync(sharedPath(...EVENTS, 'b24phpsdk', 'event.ONCRMCONTACTADD.form-urlencoded.txt'), 'utf8');
    const parsed = parseB24Event(parseBracketForm(`${raw}3c6c9248ec54af6bea1159b43ee0ab32`));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.event).toMatchObject({ event: 'ONCRMCONTACTADD', handlerId: '58', ts: 1727018926 });
    expect(parsed.event.data).toEqual({ FIELDS: { ID: '134806' } });
    expect(Object.keys(parsed.event.auth)).toEqual([
      'access_token', 'expires', 'expires_in', 'scope', 'domain', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'user_id', 'application_token',
    ]);
    expect(parsed.event.auth.application_token).toBe('3c6c9248ec54af6bea1159b43ee0ab32');
    // Our encoder writes the same wire form Bitrix24 does.
    expect(encodeBracketForm(parseBracketForm(raw) as Record<string, unknown>)).toBe(raw);
  });

  it.skipIf(!hasSharedData)('round-trips the documented ONEXTERNALCALLSTART payloads through the form encoding', () => {
    for (const file of ['b24restdocs/event.ONEXTERNALCALLSTART.json', 'b24-rest-docs-ru/event.ONEXTERNALCALLSTART.ru.json', 'bitrix24-fusion-daemon/event.ONEXTERNALCALLSTART.outgoing-webhook.real-2020.json']) {
      const json = sharedJson(...file.split('/'));
      const body = encodeBracketForm(json);
      expect(body).toMatch(/data%5BPHONE_NUMBER%5D=/);
      const parsed = parseB24Event(parseBracketForm(body));
      expect(parsed.ok, file).toBe(true);
      if (!parsed.ok) continue;
      expect(flatData(parsed.event.data)).toEqual(json.data);
      expect(parsed.event.auth).toEqual(json.auth);
    }
  });

  it('appends `a[]` values and encodes booleans, numbers and nulls as strings', () => {
    expect(parseBracketForm('FILTER%5BUF_DEPARTMENT%5D%5B%5D=1&FILTER%5BUF_DEPARTMENT%5D%5B%5D=5')).toEqual({ FILTER: { UF_DEPARTMENT: ['1', '5'] } });
    expect(encodeBracketForm({ a: true, b: 3, c: null, d: ['x'] })).toBe('a=1&b=3&c=&d%5B0%5D=x');
  });

  it('refuses prototype keys and absurd nesting with a message naming the key', () => {
    expect(() => parseBracketForm('data%5B__proto__%5D%5Bx%5D=1')).toThrow(FormError);
    expect(() => parseBracketForm('a[b][c][d][e][f][g][h]=1')).toThrow(/nested deeper/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('Bitrix24 event envelope and verification', () => {
  const portal = { applicationToken: '51610fefc120afg4b628cc82d6298cce', memberId: 'a223c6b9410f85df78e9377d6c4f7213', domain: 'some-domain.bitrix24.com' };
  const auth = { application_token: portal.applicationToken, member_id: portal.memberId, domain: portal.domain };

  it('names the missing part of a malformed envelope', () => {
    expect(parseB24Event({ data: {} })).toEqual({ ok: false, error: 'field "event" is missing or malformed' });
    expect(parseB24Event({ event: 'ONEXTERNALCALLSTART', data: {} })).toMatchObject({ ok: false, error: expect.stringContaining('auth') });
  });

  it('accepts the installed portal and refuses a forged token, another member_id or another domain', () => {
    expect(verifyEventAuth(auth, portal)).toEqual({ ok: true });
    expect(verifyEventAuth({ ...auth, application_token: 'forged' }, portal)).toMatchObject({ ok: false, reason: 'application_token does not match' });
    expect(verifyEventAuth({ ...auth, application_token: '' }, portal).ok).toBe(false);
    expect(verifyEventAuth({ ...auth, member_id: '0'.repeat(32) }, portal)).toMatchObject({ ok: false, reason: expect.stringContaining('member_id') });
    expect(verifyEventAuth({ ...auth, domain: 'evil.bitrix24.com' }, portal)).toMatchObject({ ok: false, reason: expect.stringContaining('domain') });
    expect(verifyEventAuth(auth, null)).toMatchObject({ ok: false, reason: 'no portal is installed' });
  });

  it('gives events without CALL_ID a stable key from their content', () => {
    const e = { event: 'ONEXTERNALCALLBACKSTART', handlerId: '1', ts: 1, data: { PHONE_NUMBER: '+74951234567' }, auth: {} };
    expect(eventDigest(e)).toBe(eventDigest({ ...e }));
    expect(eventDigest(e)).not.toBe(eventDigest({ ...e, ts: 2 }));
  });
});
