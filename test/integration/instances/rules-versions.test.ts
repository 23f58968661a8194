import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRouteCliDeps } from '../../../src/adapters/cli/commands/route.ts';
import { loadEnv } from '../../../src/config/env.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The rules CLI as an admin runs it: exit code, stdout, stderr. */
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'rules', ...args], { env: { ...process.env, ...env }, cwd: ROOT }, (error, out, err) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out, err });
    });
  });
}

describe('rules versions through the CLI', () => {
  let tmp: string;
  let env: Record<string, string>;
  const routing = () => path.join(env.RULES_DIR as string, 'routing.yaml');
  const setMaxAttempts = (n: number) => fs.writeFileSync(routing(), fs.readFileSync(routing(), 'utf8').replace(/^maxAttempts: \d+/m, `maxAttempts: ${n}`));

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-rules-versions-'));
    fs.cpSync(path.join(ROOT, 'rules'), path.join(tmp, 'rules'), { recursive: true });
    env = { DATABASE_URL: path.join(tmp, 'db.sqlite'), RULES_DIR: path.join(tmp, 'rules'), LOG_LEVEL: 'silent' };
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('import stores a version, refuses an invalid set naming file and path, rolls back, and route explain uses the stored version', async () => {
    expect((await cli(env, 'import')).out).toContain('rules version 1 stored');
    expect((await cli(env, 'import')).out).toContain('unchanged: the files equal version 1');
    setMaxAttempts(3);
    expect((await cli(env, 'import')).out).toContain('rules version 2 stored');

    fs.writeFileSync(path.join(env.RULES_DIR as string, 'trunks.yaml'), 'trunks: [{ id: broken }]\n');
    const refused = await cli(env, 'import');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${path.join(env.RULES_DIR as string, 'trunks.yaml')}: trunks[0].kind`);

    expect((await cli(env, 'rollback', '1')).out).toContain('rules version 3 stored');
    const history = (await cli(env, 'history')).out.trim().split('\n');
    expect(history.map((l) => l.split('\t')[0])).toEqual(['v3', 'v2', 'v1']);
    expect(history[0]).toContain('rollback to v1');

    // The files say 3 (and one is broken); the version in use (a copy of v1) says 5.
    const rules = await defaultRouteCliDeps.loadRules(loadEnv(env));
    expect(rules.rules.maxAttempts).toBe(5);

    const out = path.join(tmp, 'export');
    expect((await cli(env, 'export', out, '--version', '2')).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'routing.yaml'), 'utf8')).toMatch(/^maxAttempts: 3$/m);
  }, 120_000);
});
