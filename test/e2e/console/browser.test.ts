import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPlanFile, type SampleRow } from '../../../src/adapters/numbering-plan/sample.ts';
import { FIXTURE_ROWS } from '../../contracts/numbering-fixtures.ts';
import { savingsRules } from '../../contracts/savings-fixtures.ts';
import { DAY_MS, localMidnight } from '../../../src/core/health/sim-limits.ts';
import { PASSWORDS, startConsole, type ConsoleHarness } from '../../support/console.ts';
import { expectedFigures, PERIOD, seedConsoleCalls } from './savings-known-calls.ts';

// Debian's own chromium package, never a browser downloaded by playwright. CI installs it
// (.ci/run); elsewhere the test says why it did not run.
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const SKIP_NOTE = hasChromium || inCi ? '' : ` (skipped: ${CHROMIUM} is missing; install it with \`apt-get install -y chromium\`)`;

/**
 * "Calls today" counts from the rules' local midnight, and the traced call is seeded a minute
 * before now: a run that would cross midnight waits until that minute is past it.
 */
async function pastImminentMidnight(timeZone: string): Promise<void> {
  const next = localMidnight(Date.now(), timeZone) + DAY_MS;
  const left = next - Date.now();
  if (left < 3 * 60_000) await new Promise((resolve) => setTimeout(resolve, left + 61_000));
}

let h: ConsoleHarness;
let server: http.Server;
let base: string;
let browser: Browser;

describe.skipIf(!hasChromium && !inCi)(`the console in a real browser${SKIP_NOTE}`, () => {
  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run does)`);
    h = await startConsole({ savingsRules: savingsRules() });
    await pastImminentMidnight(h.rules.current().timezone);
    await seedConsoleCalls(h);
    server = http.createServer(h.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 5 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await h?.close();
  });

  async function signIn(page: Page, name: keyof typeof PASSWORDS): Promise<void> {
    await page.goto(`${base}/console/`);
    await page.waitForURL(`${base}/console/login`);
    await page.fill('input[name=name]', name);
    await page.fill('input[name=password]', PASSWORDS[name]);
    await page.click('#sign-in button[type=submit]');
    await page.waitForURL(`${base}/console/`);
  }

  it('signs in, shows the dashboard, traces a call, explains a route, edits the rules, and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'anna');
    expect(await page.locator('html').getAttribute('lang')).toBe('ru');
    expect(await page.textContent('#calls-today')).toContain('Звонки за сегодня');
    expect(await page.textContent('#calls-today')).toContain(': 1');

    await page.click('a[hreflang=en]');
    await page.waitForURL(/lang=en/);
    expect(await page.textContent('#calls-today')).toContain('Calls today');

    await page.click('nav >> text=Call log');
    await page.fill('#call-search input[name=number]', '8 926 123 45 67');
    await page.click('#call-search button[type=submit]');
    await page.click('a[href="/console/calls/call-1"]');
    const attempts = await page.textContent('#attempts');
    expect(attempts).toMatch(/gsm-mts.*CONGESTION.*34.*rotated to the next trunk/s);
    expect(attempts).toMatch(/gsm-beeline.*ANSWER.*16.*stopped the route/s);

    await page.click('nav >> text=Route simulator');
    await page.fill('#simulator input[name=user]', '1');
    await page.fill('#simulator input[name=number]', '8 (926) 123-45-67');
    await page.click('#simulator button[type=submit]');
    expect(await page.textContent('#explanation')).toContain('Attempts for +79261234567');

    await page.goto(`${base}/console/rules/edit`);
    const routing = page.locator('textarea[name="file:routing.yaml"]');
    const original = await routing.inputValue();
    await routing.fill(original.replace(/maxAttempts: *\d+/, 'maxAttempts: lots'));
    await page.click('#rules-edit button[type=submit]:not([formaction])');
    expect(await page.textContent('#rules-errors')).toMatch(/maxAttempts/);
    expect(await page.locator('#rules-save').count()).toBe(0);
    await page.locator('textarea[name="file:routing.yaml"]').fill(original.replace(/maxAttempts: *\d+/, 'maxAttempts: 3'));
    await page.click('#rules-edit button[type=submit]:not([formaction])');
    await page.click('#rules-save');
    await page.waitForURL(/\/console\/rules\?stored=2/);
    expect(h.rules.current().maxAttempts).toBe(3);

    await page.click('header button[type=submit]');
    await page.waitForURL(`${base}/console/login`);
    await page.goto(`${base}/console/`);
    await page.waitForURL(`${base}/console/login`);
    await context.close();
  });

  it('shows a viewer no change buttons, and a change it forges anyway is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'viktor');
    await page.goto(`${base}/console/rules`);
    expect(await page.locator('text=Откатить').count()).toBe(0);
    // A request of its own, with the browser's session cookie and its valid CSRF token: the role still says no.
    const csrf = await page.inputValue('input[name=_csrf]');
    const versionsBefore = await h.db('rules_versions').count({ n: '*' }).first();
    const response = await context.request.post(`${base}/console/rules/rollback`, { form: { _csrf: csrf, version: '1' }, maxRedirects: 0 });
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('Ваша роль не позволяет вносить изменения.');
    expect(await h.db('rules_versions').count({ n: '*' }).first()).toEqual(versionsBefore);
    await context.close();
  });

  it('shows the savings of known calls with the totals, plots and export this test computes on its own', async () => {
    const want = expectedFigures();
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page, 'viktor');
    await page.click('nav >> text=Экономия');
    await page.fill('#savings-form input[name=from]', PERIOD.from);
    await page.fill('#savings-form input[name=to]', PERIOD.to);
    await page.selectOption('#savings-form select[name=by]', 'department');
    await page.click('#savings-form button[type=submit]');
    await page.waitForURL(/by=department/);
    const field = (name: string) => page.textContent(`#savings-totals td[data-field=${name}]`);
    expect(await field('calls')).toBe(want.calls);
    expect(await field('minutes')).toBe(want.minutes);
    expect(await field('actualCost')).toBe(want.actualCost);
    expect(await field('baselineCost')).toBe(want.baselineCost);
    expect(await field('saving')).toContain(want.saving);
    const marks = (plot: string) => page.$$eval(`#${plot} [data-key]`, (els) => els.map((e) => [e.getAttribute('data-key'), e.getAttribute('data-value')]));
    expect(await marks('plot-cost-per-day')).toEqual(want.costPerDay);
    expect((await marks('plot-share-by-carrier')).sort()).toEqual(want.byCarrier);
    expect((await marks('plot-saving-by-department')).sort()).toEqual(want.savingByDepartment);
    expect(await page.textContent('#savings-groups')).toContain('10 (Sales)');
    expect(await page.textContent('#savings-advice')).toContain('sip-uni');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[download="report.csv"]')]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const total = csv.trim().split('\n').at(-1)!.split(',');
    expect([total[0], total[2], total[4], total[5]]).toEqual(['total', want.calls, String(want.actualRub), String(want.baselineRub)]);
    const [svg] = await Promise.all([page.waitForEvent('download'), page.click('a[download="cost-per-day.svg"]')]);
    expect(fs.readFileSync((await svg.path())!, 'utf8')).toMatch(/^<\?xml[^]*<svg xmlns="http:\/\/www.w3.org\/2000\/svg" id="plot-cost-per-day"/);
    await context.close();
  });

  it('imports a numbering plan with progress, refuses a bad one with its error, looks up, and rolls back', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'anna');
    const polls: { state: string; done: number; total: number }[] = [];
    // Every progress answer the page polls, read on its way to the page.
    await page.route(/\/console\/numbering\/imports\/[^/?]+$/, async (route) => {
      const response = await route.fetch();
      const body = await response.json() as { state: string; done: number; total: number };
      polls.push(body);
      await route.fulfill({ response, json: body });
    });
    const upload = async (files: { name: string; rows: readonly SampleRow[] }[]) => {
      await page.goto(`${base}/console/numbering?lang=en`);
      await page.setInputFiles('#plan-upload input[type=file]', files.map((f) => ({ name: f.name, mimeType: 'text/csv', buffer: renderPlanFile(f.rows, 'current-8col') })));
      await page.click('#plan-upload button[type=submit]');
    };
    const tele2 = FIXTURE_ROWS.find((r) => r.code === 952)!;
    const mobile = FIXTURE_ROWS.filter((r) => r !== tele2);

    await upload([{ name: 'DEF-9xx.csv', rows: mobile }, { name: 'DEF-952.csv', rows: [tele2] }]);
    await page.waitForURL(/imported=1/);
    expect(await page.textContent('#import-done')).toContain('version v1');
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.at(-1)).toMatchObject({ state: 'done' });
    expect(polls.at(-1)!.done).toBe(polls.at(-1)!.total);
    expect(polls.every((p, i) => p.done <= p.total && (i === 0 || p.done >= polls[i - 1]!.done))).toBe(true);
    expect(await page.textContent('table')).toMatch(/v1.*DEF-9xx\.csv \(4\), DEF-952\.csv \(1\)/s);

    // Overlapping ranges: refused with the file and line, the active plan unchanged.
    await upload([{ name: 'bad.csv', rows: [...mobile, tele2, { ...tele2, from: 50, to: 60 }] }]);
    const status = page.locator('#import-status[role=alert]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/Import refused.*bad\.csv:\d+: overlapping ranges/);
    expect(await status.textContent()).not.toContain('b24pbx-plan-upload');

    await upload([{ name: 'DEF.csv', rows: [...mobile, { ...tele2, operator: 'ПАО "Мобильные ТелеСистемы"', inn: '7740000076' }] }]);
    await page.waitForURL(/imported=2/);
    await page.fill('form.search input[name=number]', '8 952 000 00 50');
    await page.click('form.search button[type=submit]');
    expect(await page.textContent('#lookup-result')).toBe('+79520000050: mts · Краснодарский край');

    page.once('dialog', (d) => void d.accept());
    await page.click('form[action="/console/numbering/rollback"] button');
    await page.waitForURL(/rolledBack=/);
    await page.fill('form.search input[name=number]', '+79520000050');
    await page.click('form.search button[type=submit]');
    expect(await page.textContent('#lookup-result')).toBe('+79520000050: tele2 · Краснодарский край');
    const audit = await h.db('console_audit').select('action', 'user_name', 'target').orderBy('id');
    expect(audit.filter((a: { action: string }) => a.action.startsWith('plan-'))).toEqual([
      { action: 'plan-import', user_name: 'anna', target: 'plan v1' },
      { action: 'plan-import-refused', user_name: 'anna', target: 'bad.csv' },
      { action: 'plan-import', user_name: 'anna', target: 'plan v2' },
      { action: 'plan-rollback', user_name: 'anna', target: 'plan v2' },
    ]);
    await context.close();
  });
});
