import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listenHttp } from '../../../src/composition/connector.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  /** stderr so far: the summary of what is in use. */
  stderr(): string;
  /** Resolves with the exit code (or the signal). */
  readonly exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** `npm start` (bin/start.js) in `cwd`; resolves once it logs "connector started". */
function npmStart(cwd: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/start.js')], {
    cwd,
    // Only what the test sets: nothing configured, so it is the demo.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', AGI_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  let started = false;
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve(code ?? signal ?? 'unknown');
  }));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"connector started"'));
      if (line && !started) {
        started = true;
        const port = (JSON.parse(line) as { http: number }).http;
        // The summary follows the log line on stderr: hand it over once it is complete.
        const waitSummary = () => (err.includes('*** Try next:') && err.endsWith('\n\n') ? resolve({ child, url: `http://127.0.0.1:${port}`, stderr: () => err, exited }) : child.stderr.once('data', waitSummary));
        waitSummary();
      }
    });
    void exited.then((code) => reject(new Error(`npm start exited (${code}) before it started:\n${err}\n${out}`)));
  });
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('npm start on the same data folder, again and again', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-start-test-'));
  afterEach(() => {
    for (const c of running) c.kill('SIGKILL');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('starts the demo a second time after a clean stop, and again after kill -9', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
    const env = { DATABASE_URL: path.join(dir, 'data/connector.sqlite'), RULES_DIR: path.join(ROOT, 'rules') };

    const first = await npmStart(dir, env);
    expect([await status(`${first.url}/healthz`), await status(`${first.url}/readyz`)]).toEqual([200, 200]);
    expect(first.stderr()).toContain('numbering plan the generated sample');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await npmStart(dir, env);
    expect(await status(`${second.url}/readyz`)).toBe(200);
    expect(second.stderr()).toMatch(/Bitrix24 +in-process portal double \(connector-test\.bitrix24\.ru\)/);
    second.child.kill('SIGKILL');
    expect(await second.exited).toBe('SIGKILL');

    const third = await npmStart(dir, env);
    expect(await status(`${third.url}/readyz`)).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  it('says truthfully what it uses: the .env it read and a plan imported before', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
    const db = path.join(dir, 'data/connector.sqlite');
    fs.writeFileSync(path.join(dir, '.env'), `DATABASE_URL=${db}\nRULES_DIR=${path.join(ROOT, 'rules')}\nLOG_LEVEL=info\n`);
    const plan = path.join(dir, 'DEF-9xx.csv');
    fs.writeFileSync(plan, 'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n'
      + '926;0000000;9999999;10000000;ПАО "МЕГАФОН";г. Москва и Московская область;Город Москва, Московская область;7812014560\n'
      + '915;0000000;9999999;10000000;ПАО "МОБИЛЬНЫЕ ТЕЛЕСИСТЕМЫ";г. Москва и Московская область;Город Москва, Московская область;7740000076\n');
    execFileSync(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'carriers', 'import', plan], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });

    const started = await npmStart(dir, {});
    const summary = started.stderr();
    expect(summary).toContain(`.env           ${path.join(dir, '.env')}`);
    expect(summary).toContain(`database       SQLite ${db}`);
    expect(summary).toMatch(/numbering plan version 1: 2 ranges from DEF-9xx\.csv/);
    expect(summary).not.toContain('sample');
    expect(summary).toContain('npx b24pbx route explain --user 1 --number +79261234567');
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });
});

describe('the HTTP server while the connector starts', () => {
  it('answers at once: alive, not ready, everything else "starting"; it never leaves a request hanging', async () => {
    const server = await listenHttp(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const health = await fetch(`${url}/healthz`);
      const ready = await fetch(`${url}/readyz`);
      const events = await fetch(`${url}/bitrix24/events`, { method: 'POST', body: 'event=ONEXTERNALCALLSTART' });
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      expect([ready.status, ((await ready.json()) as { status: string }).status]).toEqual([503, 'not-ready']);
      expect([events.status, events.headers.get('retry-after')]).toEqual([503, '1']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
