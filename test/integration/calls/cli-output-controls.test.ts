import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../../src/adapters/db/repositories/calls-repository.ts';
import { tempSqliteDb } from '../../support/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);
// What a terminal would obey: C0 but LF (and the TAB of layouts), DEL, C1.
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('the CLI prints values from outside escaped', () => {
  let t: Awaited<ReturnType<typeof tempSqliteDb>>;
  const hostile = '+7916\u001b[2J\u001b]0;owned\u0007\u009b31m';
  beforeAll(async () => {
    t = await tempSqliteDb();
    // A row written raw, as an older version stored refused numbers.
    await new CallsRepository(t.db).createCall({
      id: 'c2c-raw', crmCallId: 'externalCall.raw', channelId: 'c2c-raw-a', linkedid: 'c2c-raw-a', origin: 'crm', userId: '1', extension: '101',
      number: hostile, numberE164: null, line: null, state: 'stopped', plan: null,
      refusalCode: 'INVALID_NUMBER', refusalMessage: `invalid phone number "${hostile}"`, startedAt: Date.UTC(2026, 0, 15),
    });
  });
  afterAll(async () => t.close());

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, DATABASE_URL: t.url, RULES_DIR: path.join(ROOT, 'rules') };
    try {
      const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), ...args], { cwd: ROOT, env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('calls list and calls show (text and JSON) escape a stored number’s terminal sequences', async () => {
    const list = await cli('calls', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(CONTROL);
    expect(list.stdout).toContain('+7916\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m');

    const show = await cli('calls', 'show', 'externalCall.raw', '--no-explain');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).not.toMatch(CONTROL);
    expect(show.stdout).toContain('\\u001b[2J');

    const json = await cli('calls', 'list', '--json');
    expect(json.stdout).not.toMatch(CONTROL);
    expect((JSON.parse(json.stdout) as { number: string }[])[0]?.number).toBe(hostile);
  });

  it('an error naming what was typed is escaped too', async () => {
    const r = await cli('calls', 'show', 'x\u001b[2J');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no call "x\\u001b[2J"');
  });
});
