import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'dialer', 'simulate', ...args], { cwd: ROOT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });

const day = ['--operators', '5', '--answer-rate', '0.3', '--talk-mean', '60', '--wrap-up', '5', '--ring-max', '20', '--minutes', '60'];

describe('npx b24pbx dialer simulate (the real binary)', () => {
  it('prints the JSON keys; the same seed gives the same figures, and predictive talks more than progressive', async () => {
    const [a, b, progressive] = await Promise.all([
      run([...day, '--mode', 'predictive', '--seed', '4', '--json']),
      run([...day, '--mode', 'predictive', '--seed', '4', '--json']),
      run([...day, '--mode', 'progressive', '--seed', '4', '--json']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    const figures = JSON.parse(a.stdout) as Record<string, number>;
    expect(Object.keys(figures)).toEqual(['placed', 'answered', 'abandonedPct', 'occupancyPct', 'talkMinutesPerOperatorHour']);
    expect(b.stdout).toBe(a.stdout);
    expect(figures.talkMinutesPerOperatorHour).toBeGreaterThan((JSON.parse(progressive.stdout) as Record<string, number>).talkMinutesPerOperatorHour as number);
  });

  it('answering machines and AMD are optional: their figures come after the same keys', async () => {
    const amd = await run([...day, '--mode', 'predictive', '--machine-rate', '0.3', '--amd', '--amd-false-positive', '10', '--json']);
    expect(amd.code, amd.stderr).toBe(0);
    const figures = JSON.parse(amd.stdout) as Record<string, number>;
    expect(Object.keys(figures)).toEqual(['placed', 'answered', 'abandonedPct', 'occupancyPct', 'talkMinutesPerOperatorHour', 'machineVerdicts', 'liveHungUp', 'liveAbandonedPct']);
    expect(figures.machineVerdicts).toBeGreaterThan(0);
  });

  it('bad input exits 2 naming the option', async () => {
    const [mode, rate] = await Promise.all([
      run([...day, '--mode', 'turbo']),
      run([...day.map((v) => (v === '0.3' ? 'lots' : v)), '--mode', 'ratio']),
    ]);
    expect(mode).toMatchObject({ code: 2, stdout: '' });
    expect(mode.stderr).toContain('--mode must be one of progressive, ratio, predictive (got "turbo")');
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('--answer-rate must be a number from 0 to 100 (got "lots")');
  });
});
