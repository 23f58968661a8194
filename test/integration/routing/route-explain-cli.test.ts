import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRouteCliDeps, runCheckRules, runRouteExplain, type RouteCliDeps } from '../../../src/adapters/cli/commands/route.ts';
import { CallsRepository } from '../../../src/adapters/db/repositories/calls-repository.ts';
import { CliFailure } from '../../../src/adapters/cli/failure.ts';
import { loadRules } from '../../../src/adapters/rules/load.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { fakeCarriers, mobile } from '../../unit/routing/support.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const env = loadEnv({ RULES_DIR: path.join(ROOT, 'rules') });

function deps(): RouteCliDeps & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    loadRules: (e) => {
      const r = loadRules(e.RULES_DIR);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      return r.compiled;
    },
    openCarriers: async () => ({ lookup: fakeCarriers({ '7926': mobile('megafon') }) }),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  };
}

async function exitCodeOf(p: Promise<void>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof CliFailure) return e.exitCode;
    throw e;
  }
}

describe('route explain (in process)', () => {
  it('prints the JSON decision for a routed call', async () => {
    const d = deps();
    await runRouteExplain({ user: '1', number: '8 (926) 123-45-67', json: true }, d, env);
    const json = JSON.parse(d.out.join(''));
    expect(json.number.e164).toBe('+79261234567');
    expect(json.carrier).toMatchObject({ key: 'megafon', source: 'range' });
    expect(json.attempts[0]).toMatchObject({ trunk: 'gsm-megafon', dial: 'PJSIP/89261234567@gw-megafon', callerId: '+79261230002' });
    expect(json.attempts[0].reason).toContain('on-net');
    expect(json.refused).toBeNull();
  });

  it('prints a readable trace by default, by extension too', async () => {
    const d = deps();
    await runRouteExplain({ extension: '200', number: '+7 926 123 45 67' }, d, env);
    const text = d.out.join('');
    expect(text).toContain('caller: user 4');
    expect(text).toContain('trunk gsm-mts (МТС (GSM-шлюз)): not used: not in the whitelist');
    expect(text).toMatch(/1\. gsm-hr-beeline \[default\]/);
  });

  it('--department routes a call on no employee\'s behalf under that department\'s inherited policy', async () => {
    const d = deps();
    await runRouteExplain({ department: '11', number: '+79261234567', origin: 'dialer' }, d, env);
    const text = d.out.join('');
    expect(text).toContain('caller: department Продажи — офис Москва (11) on no employee\'s behalf; policy of Отдел продаж (10)');
    expect(text).toMatch(/1\. gsm-megafon \[on-net\]/);
  });

  it('a refusal exits 1 and still prints the JSON with refused.code', async () => {
    const d = deps();
    const code = await exitCodeOf(runRouteExplain({ user: '4', number: '+79261234567', line: 'mts', json: true }, d, env));
    expect(code).toBe(1);
    expect(JSON.parse(d.out.join('')).refused).toMatchObject({ code: 'LINE_NOT_ALLOWED' });
  });

  it.each([
    [{ number: '+79261234567' }, /--user ID, --extension EXT or --department D/],
    [{ user: '1', number: '+79261234567', origin: 'fax' }, /--origin must be one of crm, phone, mobile, inbound, dialer \(got "fax"\)/],
    [{ user: '1' }, /--number/],
  ])('usage errors exit 2: %j', async (opts, message) => {
    const p = runRouteExplain(opts, deps(), env);
    await expect(p).rejects.toThrow(message);
    expect(await exitCodeOf(runRouteExplain(opts, deps(), env))).toBe(2);
  });

  it('says which trunks are out of routes, counted from the database (a GSM SIM out of credit)', async () => {
    const db = await tempSqliteDb();
    try {
      const now = Date.now();
      const store = new CallsRepository(db.db, () => now);
      await store.createCall({
        id: 'desk-1', crmCallId: null, channelId: 'ch-1', linkedid: 'ch-1', origin: 'phone', userId: '1', extension: '100',
        number: '+79261234567', numberE164: '+79261234567', line: null, state: 'routing', plan: null, refusalCode: null, refusalMessage: null, startedAt: now - 5000,
      });
      await store.addAttempt({ callId: 'desk-1', attemptNo: 1, planIndex: 0, trunkId: 'gsm-megafon', dial: 'x', callerId: null, tier: 'on-net', perMinute: 0.3, linkedid: 'ch-1', startedAt: now - 5000 });
      await store.setAttemptOutcome('desk-1', 1, { dialStatus: 'CHANUNAVAIL', hangupCause: 68, decision: 'rotate', source: 'agi', endedAt: now - 4000 });
      const d = { ...deps(), openHealth: defaultRouteCliDeps.openHealth };
      await runRouteExplain({ user: '1', number: '8 (926) 123-45-67' }, d, { ...env, DATABASE_URL: db.url });
      expect(d.out.join('')).toMatch(/trunk gsm-megafon \(МегаФон \(GSM-шлюз\)\): skipped: open since \d\d:\d\d:\d\d, 1 failure \(68 ×1\)/);
    } finally {
      await db.close();
    }
  });
});

describe('route check-rules', () => {
  it('reports the shipped rules as valid', () => {
    const d = deps();
    runCheckRules(env, d);
    expect(d.out.join('')).toMatch(/OK: 10 trunks, 5 departments, 7 users, 3 masks/);
  });

  it('lists every error and exits 1 for an invalid directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-check-'));
    try {
      fs.writeFileSync(path.join(dir, 'trunks.yaml'), 'trunks:\n  - { id: a, kind: gsm, dial: x, tariffs: { default: 1 } }\n');
      const d = deps();
      let code = 0;
      try {
        runCheckRules(loadEnv({ RULES_DIR: dir }), d);
      } catch (e) {
        code = e instanceof CliFailure ? e.exitCode : -1;
      }
      expect(code).toBe(1);
      const errors = d.err.join('');
      expect(errors).toContain('trunks[0].carrier: GSM trunk "a" needs the carrier of its SIM');
      expect(errors).toContain('trunks[0].callerIds: GSM trunk "a" must have exactly one caller ID');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npx b24pbx route explain (the real binary, shipped rules, empty database)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-route-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'route', 'explain', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: path.join(tmp, `${args.join('_').replace(/\W/g, '')}.sqlite`), RULES_DIR: path.join(ROOT, 'rules') },
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });

  it('exits 0 routed, 1 refused (one line on stderr, JSON on stdout), 2 usage', async () => {
    const [ok, refused, usage] = await Promise.all([
      run(['--user', '1', '--number', '8 (926) 123-45-67', '--json']),
      run(['--user', '1', '--number', 'abc', '--json']),
      run(['--number', '8 (926) 123-45-67']),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const json = JSON.parse(ok.stdout);
    expect(json.number.e164).toBe('+79261234567');
    expect(json.attempts.length).toBeGreaterThan(0);
    expect(json.carrier.source).toBe('unknown');

    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).refused.code).toBe('INVALID_NUMBER');
    expect(refused.stderr.trim().split('\n').filter((l) => !l.startsWith('warning:'))).toEqual([
      'refused INVALID_NUMBER: invalid phone number "abc": only digits, spaces, brackets, dashes and a leading + are allowed',
    ]);

    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--user ID, --extension EXT or --department D');
  });

  it('an edited rules file is read afresh by the next run (what a run keeps of the rules goes by their text)', async () => {
    const rules = fs.mkdtempSync(path.join(tmp, 'edited-'));
    for (const f of fs.readdirSync(path.join(ROOT, 'rules'))) fs.copyFileSync(path.join(ROOT, 'rules', f), path.join(rules, f));
    const explain = () => new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'route', 'explain', '--user', '1', '--number', '89261234567', '--json'], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: path.join(tmp, 'edited.sqlite'), RULES_DIR: rules },
      }, (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }));
    });
    const before = await explain();
    expect(before.code).toBe(0);
    expect((await explain()).stdout).toBe(before.stdout);
    expect(JSON.parse(before.stdout).attempts.length).toBeGreaterThan(1);
    const routing = fs.readFileSync(path.join(rules, 'routing.yaml'), 'utf8');
    fs.writeFileSync(path.join(rules, 'routing.yaml'), routing.replace(/^maxAttempts: \d+$/m, 'maxAttempts: 1'));
    expect(JSON.parse((await explain()).stdout).attempts).toHaveLength(1);
  });

  it('invalid rules: exit 1 with one line on stderr naming the file, the path and the value', async () => {
    const rules = fs.mkdtempSync(path.join(tmp, 'rules-'));
    for (const f of fs.readdirSync(path.join(ROOT, 'rules'))) fs.copyFileSync(path.join(ROOT, 'rules', f), path.join(rules, f));
    const routing = fs.readFileSync(path.join(rules, 'routing.yaml'), 'utf8');
    fs.writeFileSync(path.join(rules, 'routing.yaml'), routing.replace(/^maxAttempts: \d+$/m, 'maxAttempts: 0'));
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), 'route', 'explain', '--user', '1', '--number', '89261234567'], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: path.join(tmp, 'bad-rules.sqlite'), RULES_DIR: rules },
      }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${path.join(rules, 'routing.yaml')}: maxAttempts:`);
    expect(lines[0]).toContain('(got 0)');
  });
});
