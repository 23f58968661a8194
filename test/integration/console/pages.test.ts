import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainRoute } from '../../../src/app/routing/route-call.ts';
import { decisionToText } from '../../../src/app/routing/render-decision.ts';
import { ConsoleAuditRepository } from '../../../src/adapters/db/repositories/console-repository.ts';
import { esc } from '../../../src/adapters/http/console/html.ts';
import type { CarrierLookup } from '../../../src/core/numbering/carrier.ts';
import { UNKNOWN_CARRIER } from '../../../src/core/numbering/carrier.ts';
import { savingsReportOf } from '../../../src/core/savings/report.ts';
import type { SavingsGroupBy } from '../../../src/core/savings/types.ts';
import { savingsRules } from '../../contracts/savings-fixtures.ts';
import { signIn, startConsole, type ConsoleHarness } from '../../support/console.ts';

let h: ConsoleHarness;
beforeEach(async () => {
  h = await startConsole();
});
afterEach(async () => {
  await h.close();
});

/** A call as the connector stores it: its row, its attempts, and its CRM writes in the outbox. */
async function storeCall(c: { id: string; number: string; userId: string; status: string | null; trunk: string; startedAt: number; attempts: { trunk: string; dialStatus: string; cause: number; decision: 'rotate' | 'stop' }[]; crm?: string }): Promise<void> {
  await h.db('calls').insert({
    id: c.id, crm_call_id: c.crm ?? null, channel_id: `${c.id}.chan`, linkedid: `${c.id}.lid`, origin: c.crm ? 'crm' : 'phone', user_id: c.userId, extension: null,
    number: c.number, number_e164: c.number, line: null, state: 'ended', plan: null, status_code: c.status, trunk_id: c.trunk,
    started_at: c.startedAt, ended_at: c.startedAt + 60_000, duration_sec: 42, crm_handoff: 'done', updated_at: c.startedAt,
  });
  let n = 0;
  for (const a of c.attempts) {
    n++;
    await h.db('call_attempts').insert({
      call_id: c.id, attempt_no: n, plan_index: n - 1, trunk_id: a.trunk, dial: `PJSIP/${c.number}@${a.trunk}`, dial_status: a.dialStatus,
      hangup_cause: a.cause, decision: a.decision, outcome_source: 'agi', started_at: c.startedAt + n, ended_at: c.startedAt + n + 1,
    });
  }
  if (c.crm) {
    await h.db('crm_outbox').insert({
      dedupe_key: `finish:${c.crm}`, method: 'telephony.externalcall.finish', params: '{}', state: 'done', attempts: 1,
      next_attempt_at: 0, created_at: c.startedAt + 61_000, updated_at: c.startedAt + 62_000,
    });
  }
}

describe('console pages', () => {
  it('the dashboard counts today\'s calls by outcome, trunk and department, and names what is down', async () => {
    const now = Date.now();
    await storeCall({ id: 'c1', number: '+79261234567', userId: '1', status: '200', trunk: 'gsm-mts', startedAt: now - 1000, attempts: [{ trunk: 'gsm-mts', dialStatus: 'ANSWER', cause: 16, decision: 'stop' }] });
    await storeCall({ id: 'c2', number: '+79161234567', userId: '4', status: '486', trunk: 'gsm-hr-mts', startedAt: now - 2000, attempts: [{ trunk: 'gsm-hr-mts', dialStatus: 'BUSY', cause: 17, decision: 'stop' }] });
    await storeCall({ id: 'old', number: '+79031234567', userId: '1', status: '200', trunk: 'gsm-beeline', startedAt: now - 3 * 86_400_000, attempts: [] });
    const { agent } = await signIn(h.app, 'viktor');
    const page = (await agent.get('/console/?lang=en').expect(200)).text;
    expect(page).toMatch(/Calls today \([^)]*\): 2</);
    expect(page).toMatch(/<td>200<\/td><td>1<\/td>/);
    expect(page).toMatch(/<td>486<\/td><td>1<\/td>/);
    expect(page).toMatch(/<td>gsm-mts<\/td><td>1<\/td>/);
    expect(page).not.toMatch(/<td>gsm-beeline<\/td><td>1<\/td>/);
    expect(page).toContain(`<td>${esc('Отдел продаж')}</td><td>1</td>`);
    expect(page).toContain(`<td>${esc('Отдел HR')}</td><td>1</td>`);
    expect(page).toMatch(/AMI \(Asterisk\)<\/td><td><span class="state-bad">DOWN/);
  });

  it('the call log finds a call by number and shows every attempt, why it rotated or stopped, and its CRM writes', async () => {
    const t0 = Date.now() - 5000;
    await storeCall({
      id: 'c1', number: '+79261234567', userId: '1', status: '200', trunk: 'gsm-beeline', startedAt: t0, crm: 'CALL-77',
      attempts: [{ trunk: 'gsm-mts', dialStatus: 'CHANUNAVAIL', cause: 34, decision: 'rotate' }, { trunk: 'gsm-beeline', dialStatus: 'ANSWER', cause: 16, decision: 'stop' }],
    });
    await storeCall({ id: 'c2', number: '+74951234567', userId: '2', status: '486', trunk: 'sip-zorra', startedAt: t0, attempts: [] });
    const { agent } = await signIn(h.app, 'viktor');
    const found = (await agent.get('/console/calls').query({ number: '8 926 123', lang: 'en' }).expect(200)).text;
    expect(found).toContain('/console/calls/c1');
    expect(found).not.toContain('/console/calls/c2');
    expect((await agent.get('/console/calls').query({ outcome: '486' })).text).not.toContain('/console/calls/c1');
    expect((await agent.get('/console/calls').query({ user: '2' })).text).toContain('/console/calls/c2');

    const trace = (await agent.get('/console/calls/c1').expect(200)).text;
    expect(trace).toMatch(/<td>1<\/td><td>gsm-mts<\/td>.*<td>CHANUNAVAIL<\/td><td>34<\/td>\s*<td>rotated to the next trunk<\/td>/s);
    expect(trace).toMatch(/<td>2<\/td><td>gsm-beeline<\/td>.*<td>ANSWER<\/td><td>16<\/td>\s*<td>stopped the route<\/td>/s);
    expect(trace).toMatch(/<td>telephony.externalcall.finish<\/td><td>done<\/td><td>1<\/td>/);
    await agent.get('/console/calls/nope').expect(404);
  });

  it('the route simulator gives the same explanation as `route explain`', async () => {
    const { agent } = await signIn(h.app, 'viktor');
    const page = await agent.get('/console/route').query({ user: '1', number: '8 (926) 123-45-67', origin: 'phone' }).expect(200);
    const unknown: CarrierLookup = { lookup: () => UNKNOWN_CARRIER };
    const expected = decisionToText(explainRoute({ rules: h.rules, carriers: { current: () => unknown } }, { user: '1', extension: null, number: '8 (926) 123-45-67', origin: 'phone', line: null }));
    expect(page.text).toContain(`<pre id="explanation">${esc(expected)}</pre>`);
    const refused = await agent.get('/console/route').query({ user: '7', number: '89261234567' }).expect(422);
    expect(refused.text).toContain('REFUSED NO_POLICY');
    await agent.get('/console/route').query({ number: '89261234567' }).expect(400);
  });

  it('a rules edit is refused with its error and stores nothing, then accepted, switched to, diffed and audited', async () => {
    const { agent, csrf } = await signIn(h.app, 'anna');
    const edit = (await agent.get('/console/rules/edit').expect(200)).text;
    const routing = hiddenTextarea(edit, 'file:routing.yaml');
    const files = (routingText: string): Record<string, string> => {
      const form: Record<string, string> = { _csrf: csrf };
      for (const m of edit.matchAll(/<textarea name="(file:[^"]+)"/g)) form[m[1]!] = hiddenTextarea(edit, m[1]!);
      form['file:routing.yaml'] = routingText;
      return form;
    };
    const bad = await agent.post('/console/rules/save').type('form').send(files(routing.replace(/maxAttempts: *\d+/, 'maxAttempts: lots'))).expect(422);
    expect(bad.text).toContain('id="rules-errors"');
    expect(/<ul id="rules-errors">(.*?)<\/ul>/s.exec(bad.text)![1]).toMatch(/maxAttempts/);
    expect(await h.db('rules_versions').count({ n: '*' }).first()).toEqual({ n: 1 });

    const changed = routing.replace(/maxAttempts: *\d+/, 'maxAttempts: 4');
    expect(changed).not.toBe(routing);
    const preview = await agent.post('/console/rules/preview').type('form').send(files(changed)).expect(200);
    expect(preview.text).toContain('<span class="add">+ maxAttempts: 4</span>');
    expect(preview.text).toContain('id="rules-save"');
    await agent.post('/console/rules/save').type('form').send(files(changed)).expect(303).expect('location', '/console/rules?stored=2');
    expect(h.rules.version).toBe(2);
    expect(h.rules.current().maxAttempts).toBe(4);
    const entries = await new ConsoleAuditRepository(h.db).list(10);
    expect(entries.find((e) => e.action === 'rules-edit')).toMatchObject({ userName: 'anna', target: 'rules v2' });

    await agent.post('/console/rules/rollback').type('form').send({ _csrf: csrf, version: '1' }).expect(303).expect('location', '/console/rules?stored=3');
    expect(h.rules.version).toBe(3);
    expect(h.rules.current().maxAttempts).not.toBe(4);
  });

  it('the numbering page looks a number up and refuses a rollback with nothing to roll back, changing nothing', async () => {
    const { agent, csrf } = await signIn(h.app, 'anna');
    const lookup = await agent.get('/console/numbering').query({ number: '8 926 123-45-67', lang: 'en' }).expect(200);
    expect(lookup.text).toContain('<span id="lookup-result">+79261234567: unknown</span>');
    expect((await agent.get('/console/numbering').query({ number: 'abc' })).text).toContain('notice error');
    const refused = await agent.post('/console/numbering/rollback').type('form').send({ _csrf: csrf }).expect(409);
    expect(refused.text).toContain('nothing to roll back');
    expect((await new ConsoleAuditRepository(h.db).list(10)).some((e) => e.action === 'plan-rollback')).toBe(false);
  });

  it('a plan upload refuses path-like names, a start with no files, and a viewer; the poll answers only for known imports', async () => {
    const { agent, csrf } = await signIn(h.app, 'anna');
    const job = (await agent.post('/console/numbering/imports').set('X-CSRF-Token', csrf).expect(201)).body as { id: string; state: string };
    expect(job.state).toBe('receiving');
    const sneaky = await agent.post(`/console/numbering/imports/${job.id}/files`).query({ name: '../../etc/passwd' })
      .set('X-CSRF-Token', csrf).set('Content-Type', 'application/octet-stream').send(Buffer.from('x')).expect(409);
    expect(sneaky.body.error).toContain('file name "../../etc/passwd"');
    expect((await agent.post(`/console/numbering/imports/${job.id}/start`).set('X-CSRF-Token', csrf).expect(409)).body.error).toBe('no files were sent');
    expect((await agent.get(`/console/numbering/imports/${job.id}`).expect(200)).body).toMatchObject({ id: job.id, state: 'receiving', files: [] });
    await agent.get('/console/numbering/imports/nope').expect(404);
    await agent.post('/console/numbering/imports').expect(403);
    const viewer = await signIn(h.app, 'viktor');
    await viewer.agent.post('/console/numbering/imports').set('X-CSRF-Token', viewer.csrf).expect(403);
  });

  it('the savings page says plainly when no savings report is wired in', async () => {
    const { agent } = await signIn(h.app, 'viktor');
    expect((await agent.get('/console/savings?lang=en').expect(200)).text).toContain('The savings report is not available in this build.');
  });

  it('the savings page asks for the chosen days in the rules\' zone, shows the report, its plots and its exports', async () => {
    const asked: unknown[] = [];
    const rules = savingsRules();
    const empty = (by: SavingsGroupBy) => savingsReportOf([], rules, { from: 0, to: 1, groupBy: by });
    const withReport = await startConsole({
      savings: {
        async report(q) {
          asked.push(q);
          return { report: empty(q.by), byDay: empty('day'), byCarrier: empty('carrier'), byDepartment: empty('department') };
        },
      },
    });
    try {
      const { agent } = await signIn(withReport.app, 'viktor');
      const page = (await agent.get('/console/savings').query({ from: '2026-12-01', to: '2026-12-03', by: 'trunk' }).expect(200)).text;
      expect(page).toContain('<td data-field="actualCost">0.00</td>');
      expect(page).toContain('id="plot-cost-per-day"');
      expect(page).toContain('/console/savings/export/report.csv?from=2026-12-01&amp;to=2026-12-03&amp;by=trunk');
      expect(asked).toEqual([{ from: Date.UTC(2026, 10, 30, 21), to: Date.UTC(2026, 11, 3, 21), by: 'trunk' }]);
      const csv = await agent.get('/console/savings/export/report.csv').query({ from: '2026-12-01', to: '2026-12-03' }).expect(200);
      expect(csv.headers['content-disposition']).toContain('report.csv');
      expect(csv.text.split('\n')[0]).toBe('group,name,calls,minutes,actual_cost,baseline_cost,cheapest_cost,saving,saving_pct');
      const svg = await agent.get('/console/savings/export/share-by-carrier.svg').expect(200);
      expect(svg.headers['content-type']).toContain('image/svg+xml');
      expect(String(svg.body)).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="plot-share-by-carrier"');
      const bad = await agent.get('/console/savings?lang=en').query({ from: '2026-13-01' }).expect(400);
      expect(bad.text).toContain('From: &quot;2026-13-01&quot; is not a date');
      await agent.get('/console/savings/export/passwords.txt').expect(404);
    } finally {
      await withReport.close();
    }
  });
});

/** A text area's text as the browser would submit it. */
function hiddenTextarea(page: string, name: string): string {
  const m = new RegExp(`<textarea name="${name.replace('.', '\\.')}"[^>]*>([^<]*)</textarea>`).exec(page)!;
  return m[1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
