// Screenshots of the console's main pages for the README (docs/console/*.png): the console as the
// connector mounts it, on a throwaway SQLite database with a small plan, a traced call and the
// savings test's known calls, shown in Debian's chromium (never a downloaded browser).
//   npx tsx scripts/console-screenshots.ts [outDir]
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { renderPlanFile } from '../src/adapters/numbering-plan/sample.ts';
import { FIXTURE_ROWS } from '../test/contracts/numbering-fixtures.ts';
import { savingsRules } from '../test/contracts/savings-fixtures.ts';
import { PERIOD, seedConsoleCalls } from '../test/e2e/console/savings-known-calls.ts';
import { PASSWORDS, startConsole } from '../test/support/console.ts';

const CHROMIUM = '/usr/bin/chromium';
const out = path.resolve(process.argv[2] ?? 'docs/console');

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  fs.mkdirSync(out, { recursive: true });
  const h = await startConsole({ savingsRules: savingsRules() });
  await seedConsoleCalls(h);
  const server = http.createServer(h.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 680 }, deviceScaleFactor: 1 });
    const shot = async (name: string, fullPage = false) => {
      await page.screenshot({ path: path.join(out, `${name}.png`), fullPage });
      console.log(`${name}.png ${(fs.statSync(path.join(out, `${name}.png`)).size / 1024).toFixed(0)} KB`);
    };
    await page.goto(`${base}/console/login`);
    await shot('sign-in');
    await page.fill('input[name=name]', 'anna');
    await page.fill('input[name=password]', PASSWORDS.anna);
    await page.click('#sign-in button[type=submit]');
    await page.waitForURL(`${base}/console/`);
    await shot('dashboard');
    await page.goto(`${base}/console/calls/call-1`);
    await shot('call-trace');
    await page.goto(`${base}/console/route?user=1&number=${encodeURIComponent('8 926 123-45-67')}`);
    await shot('route-simulator');
    // The plan goes in the way an admin puts it in: uploaded on the page, imported with progress.
    await page.goto(`${base}/console/numbering`);
    await page.setInputFiles('#plan-upload input[type=file]', [{ name: 'DEF-9xx.csv', mimeType: 'text/csv', buffer: renderPlanFile(FIXTURE_ROWS, 'current-8col') }]);
    await page.click('#plan-upload button[type=submit]');
    await page.waitForURL(/imported=1/);
    await page.fill('form.search input[name=number]', '+79520000050');
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/number=/);
    await shot('numbering-plan');
    await page.goto(`${base}/console/rules/edit`);
    const routing = page.locator('textarea[name="file:routing.yaml"]');
    await routing.fill((await routing.inputValue()).replace(/maxAttempts: *\d+/, 'maxAttempts: 4'));
    await page.click('#rules-edit button[type=submit]:not([formaction])');
    await page.locator('.diff').first().scrollIntoViewIfNeeded();
    await shot('rules-edit');
    await page.goto(`${base}/console/savings?from=${PERIOD.from}&to=${PERIOD.to}&by=department`);
    await shot('savings', true);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await h.close();
  }
}

await main();
