import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConsoleUser } from '../../../src/composition/console.ts';
import { click, settle, startService, waitFor, type Service } from '../service/harness.ts';

const PASSWORD = 'e2e-console-password';

/** The console as the running connector serves it: a real call placed through the doubles, then traced in the browser's pages. */
describe('the console of the running connector', () => {
  let s: Service;
  let cookie = '';
  beforeAll(async () => {
    s = await startService({ trunks: [{ match: '*', outcome: { kind: 'answer', ringMs: 100, talkMs: 1500 } }] });
    await saveConsoleUser(s.connector.db, { name: 'ops', role: 'viewer', password: PASSWORD }, { N: 1024 });
  });
  afterAll(async () => {
    await s.close();
  });

  const page = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${s.baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
    return { status: res.status, text: await res.text() };
  };

  it('signs in through the form and shows a placed call on the dashboard and in the call log, with its attempt and CRM write', async () => {
    const form = await fetch(`${s.baseUrl}/console/login`);
    const loginCookie = form.headers.getSetCookie().find((c) => c.startsWith('b24c_login='))!.split(';')[0]!;
    const loginToken = /name="_login" value="([^"]+)"/.exec(await form.text())![1]!;
    const signedIn = await fetch(`${s.baseUrl}/console/login`, {
      method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _login: loginToken, name: 'ops', password: PASSWORD }).toString(),
    });
    expect(signedIn.status).toBe(303);
    cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('b24c_session='))!.split(';')[0]!;

    const crmCallId = await click(s, { userId: '1', number: '+79151234567' });
    await settle(s, crmCallId);
    await waitFor('the finish written', async () => (await s.connector.crm.outbox.list({ state: 'done' })).some((e) => e.dedupeKey === `finish:${crmCallId}`));

    const dashboard = await page('/console/?lang=en');
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toMatch(/Calls today \([^)]*\): 1</);
    expect(dashboard.text).toMatch(/<td>200<\/td><td>1<\/td>/);

    const log = await page('/console/calls?number=9151234567');
    const id = /href="\/console\/calls\/([^"]+)"/.exec(log.text)![1]!;
    const trace = await page(`/console/calls/${id}?lang=en`);
    expect(trace.text).toContain(crmCallId);
    expect(/<table id="attempts">.*?<\/table>/s.exec(trace.text)![0]).toMatch(/<td>ANSWER<\/td><td>[^<]*<\/td>\s*<td>stopped the route<\/td>/);
    expect(trace.text).toMatch(/<td>telephony.externalcall.finish<\/td><td>done<\/td>/);

    const simulated = await page('/console/route?user=1&number=%2B79151234567&origin=crm');
    expect(simulated.status).toBe(200);
    expect(simulated.text).toContain('Attempts for +79151234567');
  });
});
