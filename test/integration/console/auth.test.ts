import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleAuditRepository } from '../../../src/adapters/db/repositories/console-repository.ts';
import { hiddenField, PASSWORDS, signIn, startConsole, type ConsoleHarness } from '../../support/console.ts';

let h: ConsoleHarness;
beforeEach(async () => {
  h = await startConsole();
});
afterEach(async () => {
  await h.close();
});

async function parkedEntry(): Promise<number> {
  const [id] = await h.db('crm_outbox').insert({
    dedupe_key: 'finish:CALL-1', method: 'telephony.externalcall.finish', params: '{}', state: 'parked', attempts: 9,
    next_attempt_at: 0, last_error: 'ERROR_CORE: boom', created_at: 1, updated_at: 1,
  }).returning('id') as unknown as ({ id: number } | number)[];
  return typeof id === 'number' ? id : Number(id!.id);
}

/** The Set-Cookie headers of a response. */
function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const v = res.headers['set-cookie'];
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

const audit = (): Promise<{ userName: string; action: string; target: string | null; at: number }[]> => new ConsoleAuditRepository(h.db).list(100);

describe('console sign-in', () => {
  it('sends a visitor without a session to the sign-in page, in Russian by default', async () => {
    await request(h.app).get('/console/calls').expect(303).expect('location', '/console/login');
    const page = await request(h.app).get('/console/login').expect(200);
    expect(page.text).toContain('<html lang="ru">');
    expect(page.text).toContain('Войти');
  });

  it('switches to English and remembers it', async () => {
    const agent = request.agent(h.app);
    const en = await agent.get('/console/login?lang=en').expect(200);
    expect(en.text).toContain('<html lang="en">');
    expect((await agent.get('/console/login').expect(200)).text).toContain('Sign in');
  });

  it('refuses a wrong password with one message for wrong name and wrong password, and audits the try', async () => {
    const agent = request.agent(h.app);
    const form = await agent.get('/console/login');
    const wrong = await agent.post('/console/login').type('form').send({ _login: hiddenField(form.text, '_login'), name: 'anna', password: 'not-her-password' }).expect(401);
    expect(wrong.text).toContain('Неверное имя пользователя или пароль.');
    expect(setCookies(wrong).join(';')).not.toContain('b24c_session');
    const form2 = await agent.get('/console/login');
    const unknown = await agent.post('/console/login').type('form').send({ _login: hiddenField(form2.text, '_login'), name: 'nobody', password: 'whatever-it-is' }).expect(401);
    expect(unknown.text).toContain('Неверное имя пользователя или пароль.');
    expect((await audit()).map((e) => [e.userName, e.action])).toEqual(expect.arrayContaining([['anna', 'sign-in-failed'], ['nobody', 'sign-in-failed']]));
  });

  it('refuses a sign-in posted without the form token (no other site can sign a browser in)', async () => {
    await request(h.app).post('/console/login').type('form').send({ name: 'anna', password: PASSWORDS.anna }).expect(403);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie; Secure only over HTTPS', async () => {
    const agent = request.agent(h.app);
    const form = await agent.get('/console/login');
    const res = await agent.post('/console/login').type('form').send({ _login: hiddenField(form.text, '_login'), name: 'anna', password: PASSWORDS.anna }).expect(303);
    const cookie = setCookies(res).find((c: string) => c.startsWith('b24c_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).not.toMatch(/Secure/);

    // Behind a TLS-terminating proxy on the same host (trust proxy: loopback). A cookie jar keeps
    // Secure cookies off plain HTTP, so the form's cookie is passed on by hand.
    const form2 = await request(h.app).get('/console/login').set('X-Forwarded-Proto', 'https');
    const loginCookie = setCookies(form2)[0]!.split(';')[0]!;
    expect(setCookies(form2)[0]).toMatch(/Secure/);
    const res2 = await request(h.app).post('/console/login').set('X-Forwarded-Proto', 'https').set('Cookie', loginCookie).type('form')
      .send({ _login: hiddenField(form2.text, '_login'), name: 'anna', password: PASSWORDS.anna }).expect(303);
    expect(setCookies(res2).find((c: string) => c.startsWith('b24c_session='))).toMatch(/Secure/);
  });

  it('signs out: the old cookie no longer opens anything', async () => {
    const { agent, csrf } = await signIn(h.app, 'viktor');
    await agent.post('/console/logout').type('form').send({ _csrf: csrf }).expect(303).expect('location', '/console/login');
    await agent.get('/console/').expect(303).expect('location', '/console/login');
    expect((await audit()).map((e) => [e.userName, e.action])).toEqual(expect.arrayContaining([['viktor', 'sign-in'], ['viktor', 'sign-out']]));
  });
});

describe('console roles, CSRF and audit', () => {
  it('lets a viewer read every page but change nothing', async () => {
    const id = await parkedEntry();
    const { agent, csrf } = await signIn(h.app, 'viktor');
    for (const page of ['/console/', '/console/calls', '/console/route', '/console/numbering', '/console/rules', '/console/outbox']) await agent.get(page).expect(200);
    const outbox = await agent.get('/console/outbox');
    expect(outbox.text).not.toContain(`/console/outbox/${id}/retry`);

    const refused = await agent.post(`/console/outbox/${id}/retry`).type('form').send({ _csrf: csrf }).expect(403);
    expect(refused.text).toContain('Ваша роль не позволяет вносить изменения.');
    await agent.post('/console/rules/rollback').type('form').send({ _csrf: csrf, version: '1' }).expect(403);
    await agent.post('/console/numbering/rollback').type('form').send({ _csrf: csrf }).expect(403);
    await agent.get('/console/audit').expect(403);

    expect((await h.db('crm_outbox').where({ id }).first()).state).toBe('parked');
    expect(await h.db('rules_versions').count({ n: '*' }).first()).toEqual({ n: 1 });
    expect((await audit()).filter((e) => e.action !== 'sign-in' && e.action !== 'user-add')).toEqual([]);
  });

  it('refuses a change without the session CSRF token, or with another session\'s', async () => {
    const id = await parkedEntry();
    const { agent } = await signIn(h.app, 'anna');
    const other = await signIn(h.app, 'anna');
    const none = await agent.post(`/console/outbox/${id}/retry`).type('form').send({}).expect(403);
    expect(none.text).toContain('ничего не изменено');
    await agent.post(`/console/outbox/${id}/retry`).type('form').send({ _csrf: other.csrf }).expect(403);
    await agent.post(`/console/outbox/${id}/retry`).set('X-CSRF-Token', 'forged').expect(403);
    expect((await h.db('crm_outbox').where({ id }).first()).state).toBe('parked');
    expect((await audit()).some((e) => e.action === 'outbox-retry')).toBe(false);
  });

  it('an admin retries a parked CRM write, and the audit log says who and when', async () => {
    const id = await parkedEntry();
    const { agent, csrf } = await signIn(h.app, 'anna');
    const before = Date.now();
    await agent.post(`/console/outbox/${id}/retry`).type('form').send({ _csrf: csrf }).expect(303).expect('location', `/console/outbox?retried=${id}`);
    const row = await h.db('crm_outbox').where({ id }).first();
    expect(row.state).toBe('pending');
    expect(Number(row.attempts)).toBe(0);
    const entry = (await audit()).find((e) => e.action === 'outbox-retry')!;
    expect(entry).toMatchObject({ userName: 'anna', target: `outbox #${id}` });
    expect(entry.at).toBeGreaterThanOrEqual(before);
    const log = await agent.get('/console/audit').expect(200);
    expect(log.text).toContain(`outbox #${id}`);
  });

  it('a POST without a session is refused, not redirected into a change', async () => {
    const id = await parkedEntry();
    await request(h.app).post(`/console/outbox/${id}/retry`).type('form').send({ _csrf: 'x' }).expect(401);
    expect((await h.db('crm_outbox').where({ id }).first()).state).toBe('parked');
  });

  it('after five wrong passwords for an account, refuses even the right one with 429 and Retry-After, and says so', async () => {
    const agent = request.agent(h.app);
    const attempt = async (name: string, password: string) => {
      const form = await agent.get('/console/login?lang=en');
      return agent.post('/console/login').type('form').send({ _login: hiddenField(form.text, '_login'), name, password });
    };
    for (let i = 0; i < 5; i++) expect((await attempt('anna', `guess-${i}`)).status).toBe(401);
    const refused = await attempt('anna', PASSWORDS.anna);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60);
    expect(refused.text).toContain('Too many failed sign-ins for this account');
    expect(setCookies(refused).join(';')).not.toContain('b24c_session');
    expect((await audit()).some((e) => e.userName === 'anna' && e.action === 'sign-in-throttled')).toBe(true);
    // Another account from the same address still signs in.
    expect((await attempt('viktor', PASSWORDS.viktor)).status).toBe(303);
  });

  it('after twenty failures from one address over many accounts, refuses that address with 429', async () => {
    const agent = request.agent(h.app);
    const attempt = async (name: string, password: string) => {
      const form = await agent.get('/console/login?lang=en');
      return agent.post('/console/login').type('form').send({ _login: hiddenField(form.text, '_login'), name, password });
    };
    for (let i = 0; i < 20; i++) expect((await attempt(`user${i}`, 'whatever-it-is')).status).toBe(401);
    const refused = await attempt('viktor', PASSWORDS.viktor);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('Too many failed sign-ins from your address');
  });
});
