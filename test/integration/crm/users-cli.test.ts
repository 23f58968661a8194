import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { B24DirectoryRepository } from '../../../src/adapters/db/repositories/b24-users-repository.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { crmHarness, type Harness } from './harness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ADMIN = 'admin-token-0123456789';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Only what the test sets: no ADMIN_TOKEN or DATABASE_URL leaking in from the outer environment.
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), ...args], { cwd: ROOT, env: { ...base, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('npx b24pbx users sync / list', () => {
  let h: Harness;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    h = await crmHarness({ double: { users: [{ ID: '1', NAME: 'Anna', UF_PHONE_INNER: '100', UF_DEPARTMENT: [1] }, { ID: '2', NAME: 'Boris', UF_DEPARTMENT: [2] }], departments: [{ ID: '1', NAME: 'Sales' }, { ID: '2', NAME: 'HR' }] } });
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await h.close();
  });

  it('sync asks the running service to sync now and prints what it got', async () => {
    const res = await cli(['users', 'sync', '--url', url], { ADMIN_TOKEN: ADMIN });
    expect([res.code, res.stdout, res.stderr]).toEqual([0, 'synced 2 users, 2 departments\n', '']);
    expect((await h.directory.load()).users.map((u) => [u.id, u.extension])).toEqual([['1', '100'], ['2', null]]);
  });

  it('sync refuses without ADMIN_TOKEN (exit 2), with a wrong one or when nothing listens (exit 1)', async () => {
    expect((await cli(['users', 'sync', '--url', url], {})).code).toBe(2);
    const wrong = await cli(['users', 'sync', '--url', url], { ADMIN_TOKEN: 'x'.repeat(20) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/HTTP 401/);
    expect(wrong.stderr).not.toContain('x'.repeat(20));
    const down = await cli(['users', 'sync', '--url', 'http://127.0.0.1:9'], { ADMIN_TOKEN: ADMIN });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/not reachable at http:\/\/127\.0\.0\.1:9/);
  });

  it('list prints the cached directory and the rules\' users, each under its own heading', async () => {
    const dbh = await tempSqliteDb();
    await new B24DirectoryRepository(dbh.db).replace({
      users: [{ id: '7', name: 'Vera', extension: '107', departments: ['1', '3'], active: true }],
      departments: [{ id: '1', name: 'Sales', parent: null }],
    }, Date.now());
    await dbh.db.destroy();
    try {
      const res = await cli(['users', 'list'], { DATABASE_URL: dbh.url });
      expect(res.code).toBe(0);
      const lines = res.stdout.split('\n');
      expect(lines.slice(0, 3)).toEqual([
        'Bitrix24 directory (synced from the portal): 1 users, 1 departments',
        '  7\t107\t1,3\tVera',
        'rules (./rules): 7 users, 5 departments; a rules user replaces the synced one with the same id',
      ]);
      expect(lines[3]).toBe('  1\t100\t10\tАнна Петрова');
      const json = await cli(['users', 'list', '--json'], { DATABASE_URL: dbh.url });
      expect(JSON.parse(json.stdout)).toMatchObject({
        directory: { users: [{ id: '7', extension: '107' }], departments: [{ id: '1', name: 'Sales' }] },
        rules: { users: expect.arrayContaining([{ id: '1', name: 'Анна Петрова', extension: '100', departments: ['10'] }]) },
      });
    } finally {
      await dbh.close().catch(() => undefined);
    }
  });
});
