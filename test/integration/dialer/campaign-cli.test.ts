import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-campaign-cli-'));
const env = { ...process.env, DATABASE_URL: path.join(dir, 'connector.sqlite'), RULES_DIR: path.join(ROOT, 'rules') };

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'dialer', 'campaign', ...args], { cwd: ROOT, env },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npx b24pbx dialer campaign save --wrap-up (the real binary)', () => {
  it('stores the after-call work and shows it in the list; a bad value is refused naming the flag, and nothing changes', async () => {
    const saved = await run(['save', 'spring', '--department', '10', '--mode', 'predictive', '--wrap-up', '20']);
    expect(saved.code, saved.stderr).toBe(0);
    expect((await run(['list'])).stdout).toMatch(/^spring .*predictive.* wrap-up 20 s$/m);

    const negative = await run(['save', 'spring', '--department', '10', '--wrap-up', '-5']);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--wrap-up must be a whole number ≥ 0 (got "-5")');
    const tooLong = await run(['save', 'spring', '--department', '10', '--wrap-up', '7200']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('wrapUpSeconds must be at most 3600');
    expect((await run(['list'])).stdout).toMatch(/wrap-up 20 s$/m);
  });
});
