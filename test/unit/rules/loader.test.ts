import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/adapters/rules/load.ts';
import { RulesLoadError, RulesStore } from '../../../src/adapters/rules/store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const CARRIERS = 'carriers:\n  mts: {}\n  megafon: {}\n  beeline: {}\n  tele2: {}\n  yota: {}\n  mtt: {}\n  rostelecom: {}\n';
const TRUNKS = `trunks:
  - id: gsm-mts
    kind: gsm
    carrier: mts
    dial: PJSIP/{number}@gw-mts
    numberFormat: national-8
    callerIds: [79161230001]
    tariffs: { byCarrier: { mts: 0.1 }, default: 2 }
    line: 101
  - id: sip
    kind: sip
    dial: PJSIP/{e164}@sip
    callerIds: ['8 (495) 123-45-00']
    tariffs: { byPrefix: { '+7495': 0.4 }, default: 1 }
    line: sip
`;
const DEPARTMENTS = `departments:
  - { id: 10, name: Sales, trunks: [gsm-mts, sip], defaultTrunk: sip }
`;
const USERS = 'users:\n  - { id: 1, extension: 100, departments: [10] }\n';

/** A valid rules directory in a temp folder; `files` replace or add files. */
function rulesDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-rules-'));
  dirs.push(dir);
  const all: Record<string, string> = { 'carriers.yaml': CARRIERS, 'trunks.yaml': TRUNKS, 'departments.yaml': DEPARTMENTS, 'users.yaml': USERS, ...files };
  for (const [name, text] of Object.entries(all)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function errorsOf(dir: string): string[] {
  const r = loadRules(dir);
  expect(r.ok).toBe(false);
  return r.ok ? [] : [...r.errors];
}

describe('loading rules/*.yaml', () => {
  it('accepts ids, lines and phone numbers written as YAML numbers or strings, and normalises them', () => {
    const r = loadRules(rulesDir());
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const [mts, sip] = r.rules.trunks;
    expect(mts).toMatchObject({ id: 'gsm-mts', line: '101', callerIds: ['+79161230001'], international: false, ringTimeout: 60, enabled: true });
    expect(sip).toMatchObject({ callerIds: ['+74951234500'], international: true, tariffs: { byPrefix: [{ prefix: '7495', perMinute: 0.4 }] } });
    expect(r.rules.users[0]).toMatchObject({ id: '1', extension: '100', departments: ['10'] });
    expect(r.rules.departments[0]?.policy).toMatchObject({ trunks: ['gsm-mts', 'sip'], offNetFallback: true, rotateAfterManualLine: false });
    expect(r.rules).toMatchObject({ maxAttempts: 5, defaultCountry: 'RU' });
    expect(r.compiled.trunkByLine.get('101')?.id).toBe('gsm-mts');
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'an unknown carrier key',
      { 'trunks.yaml': TRUNKS.replace('carrier: mts', 'carrier: mst') },
      'trunks.yaml: trunks[0].carrier: unknown carrier key "mst" (known: mts, megafon, beeline, tele2, yota, mtt, …)',
    ],
    ['a misspelt enum value', { 'trunks.yaml': TRUNKS.replace('kind: sip', 'kind: spi') }, 'trunks.yaml: trunks[1].kind: Invalid option: expected one of "gsm"|"sip" (got "spi")'],
    ['a misspelt key', { 'trunks.yaml': TRUNKS.replace('line: sip', 'lien: sip') }, 'trunks.yaml: trunks[1]: Unrecognized key: "lien"'],
    ['an unknown dial macro', { 'trunks.yaml': TRUNKS.replace('PJSIP/{e164}@sip', 'PJSIP/{hots}@sip') }, 'trunks.yaml: trunks[1].dial: unknown macro(s) {hots} in "PJSIP/{hots}@sip" (known: {number}, {e164}, {digits}, {trunk}, {host}, {port}, {server})'],
    ['a dial macro whose trunk setting is missing', { 'trunks.yaml': TRUNKS.replace('PJSIP/{e164}@sip', "'PJSIP/sip/+{number}@{host}:{port}'\n    host: sip.example.net") }, 'trunks.yaml: trunks[1].port: the dial string "PJSIP/sip/+{number}@{host}:{port}" uses {port} but trunk "sip" has no port setting'],
    ['a trunk port out of range', { 'trunks.yaml': TRUNKS.replace('PJSIP/{e164}@sip', 'PJSIP/{e164}@sip\n    port: 70000') }, 'trunks.yaml: trunks[1].port: Too big'],
    ['a dial string with "|" (the route answer\'s separator)', { 'trunks.yaml': TRUNKS.replace('PJSIP/{e164}@sip', 'PJSIP/{e164}@sip|30') }, 'trunks.yaml: trunks[1].dial: a dial string cannot contain "|"'],
    ['a GSM trunk with two numbers', { 'trunks.yaml': TRUNKS.replace('callerIds: [79161230001]', 'callerIds: [79161230001, 79161230002]') }, 'trunks.yaml: trunks[0].callerIds: GSM trunk "gsm-mts" must have exactly one caller ID'],
    ['an invalid caller-ID number', { 'trunks.yaml': TRUNKS.replace("'8 (495) 123-45-00'", "'8 (495) 123'") }, 'trunks.yaml: trunks[1].callerIds[0]: invalid phone number "8 (495) 123"'],
    ['a duplicate line', { 'trunks.yaml': TRUNKS.replace('line: sip', 'line: 101') }, 'trunks.yaml: trunks[1].line: line "101" is already trunk "gsm-mts"\'s'],
    ['a whitelist naming an unknown trunk', { 'departments.yaml': DEPARTMENTS.replace('[gsm-mts, sip]', '[gsm-mts, sip, zorra]') }, 'departments.yaml: departments[0].trunks[2]: unknown trunk "zorra"'],
    ['a default trunk outside the whitelist', { 'departments.yaml': DEPARTMENTS.replace('[gsm-mts, sip]', '[gsm-mts]') }, 'departments.yaml: departments[0].defaultTrunk: default trunk "sip" is not in the department\'s trunk whitelist [gsm-mts]'],
    ['a user in an unknown department', { 'users.yaml': USERS.replace('[10]', '[10, 99]') }, 'users.yaml: users[0].departments[1]: unknown department "99"'],
    ['a mask naming an unknown trunk', { 'masks.yaml': "masks:\n  - { mask: '+79*********', trunk: beeline }\n" }, 'masks.yaml: masks[0].trunk: unknown trunk "beeline"'],
    ['a malformed mask', { 'masks.yaml': "masks:\n  - { mask: '+79**x', trunk: sip }\n" }, 'masks.yaml: masks[0].mask: "+79**x" is not a mask'],
    ['an invalid main number', { 'caller-ids.yaml': 'main: 123\n' }, 'caller-ids.yaml: main: invalid phone number "123"'],
    ['a personal number for nobody', { 'caller-ids.yaml': "personal:\n  - { number: '+74951234500' }\n" }, 'caller-ids.yaml: personal[0]: give exactly one of user and department'],
    ['a YAML syntax error (with its line:column)', { 'users.yaml': 'users:\n  - { id: 1, extension: 100\n' }, 'users.yaml:3:1 YAML error: Flow map in block collection must be sufficiently indented and end with a }'],
  ])('%s is an error naming file, path and value', (_, files, expected) => {
    const dir = rulesDir(files);
    const errors = errorsOf(dir);
    expect(errors.some((e) => e.startsWith(path.join(dir, expected)) || e.startsWith(`${dir}/${expected}`)), errors.join('\n')).toBe(true);
  });

  it('a missing trunks.yaml is an error; missing optional files mean "none"', () => {
    const dir = rulesDir();
    fs.rmSync(path.join(dir, 'trunks.yaml'));
    expect(errorsOf(dir)[0]).toContain(`${path.join(dir, 'trunks.yaml')}: cannot read`);
    const ok = loadRules(rulesDir());
    expect(ok.ok && ok.rules.masks.length === 0 && ok.rules.callerIds.main === null).toBe(true);
  });

  it('a caller-ID number that no trunk can present is a warning, not an error', () => {
    const r = loadRules(rulesDir({ 'caller-ids.yaml': "main: '+74951239999'\n" }));
    expect(r.ok).toBe(true);
    expect(r.warnings.join('\n')).toContain('caller-ids.yaml: main: no trunk can present +74951239999');
  });

  it('without carriers.yaml, carrier keys are not checked and a warning says so', () => {
    const dir = rulesDir();
    fs.rmSync(path.join(dir, 'carriers.yaml'));
    const r = loadRules(dir);
    expect(r.ok).toBe(true);
    expect(r.warnings.join('\n')).toContain('carrier keys in trunks.yaml are not checked');
  });
});

describe('RulesStore: reloads swap whole rule sets', () => {
  it('an invalid reload keeps the last valid rules and says why; a valid one swaps them', () => {
    const dir = rulesDir();
    const store = RulesStore.open(dir);
    const before = store.current();
    expect(Object.isFrozen(before.rules.trunks[0])).toBe(true);

    fs.writeFileSync(path.join(dir, 'trunks.yaml'), TRUNKS.replace('carrier: mts', 'carrier: mst'));
    const bad = store.reload();
    expect(bad.ok).toBe(false);
    expect(bad.errors.join('\n')).toContain('unknown carrier key "mst"');
    expect(store.current()).toBe(before);

    fs.writeFileSync(path.join(dir, 'trunks.yaml'), TRUNKS.replace('line: sip', 'line: sip-2'));
    expect(store.reload()).toMatchObject({ ok: true, errors: [] });
    expect(store.current() === before, "new compiled rules").toBe(false);
    expect(store.current().trunkByLine.has('sip-2')).toBe(true);
  });

  it('opening an invalid directory throws every error', () => {
    const dir = rulesDir({ 'users.yaml': USERS.replace('[10]', '[99]') });
    expect(() => RulesStore.open(dir)).toThrow(RulesLoadError);
    expect(() => RulesStore.open(dir)).toThrow(/users\[0\]\.departments\[0\]: unknown department "99"/);
  });
  it('breaker defaults come from routing.yaml, a trunk overrides them key by key; SIM limits and the time zone load', () => {
    const trunks = TRUNKS
      .replace('    line: 101\n', '    line: 101\n    breaker: { openSeconds: 600 }\n    limits: { callsPerHour: 30, minGapSeconds: 20 }\n');
    const dir = rulesDir({ 'trunks.yaml': trunks, 'routing.yaml': 'breaker: { failures: 3 }\ntimezone: Asia/Yekaterinburg\n' });
    const r = loadRules(dir);
    if (!r.ok) throw new Error(r.errors.join('; '));
    const [mts, sip] = r.rules.trunks;
    expect(mts?.breaker).toEqual({ failures: 3, windowSeconds: 60, openSeconds: 600 });
    expect(mts?.limits).toEqual({ callsPerHour: 30, callsPerDay: null, minutesPerDay: null, minGapSeconds: 20 });
    expect(sip?.breaker).toEqual({ failures: 3, windowSeconds: 60, openSeconds: 120 });
    expect(sip?.limits).toBeNull();
    expect(r.rules.timezone).toBe('Asia/Yekaterinburg');
    const plain = loadRules(rulesDir());
    expect(plain.ok && plain.rules.timezone).toBe('Europe/Moscow');
  });

  it('bad breaker, limit and time zone settings are errors naming file, path and value', () => {
    const trunks = TRUNKS
      .replace('    line: 101\n', '    line: 101\n    breaker: { failures: 0 }\n    limits: { callsPerDay: -1, perWeek: 3 }\n')
      .replace('    line: sip\n', '    line: sip\n    limits: { callsPerHour: 10 }\n');
    const errors = errorsOf(rulesDir({ 'trunks.yaml': trunks, 'routing.yaml': 'timezone: Europe/Moskva\n' }));
    expect(errors.join('\n')).toMatch(/routing\.yaml: timezone: an IANA time zone such as Europe\/Moscow \(got "?Europe\/Moskva"?\)/);
    expect(errors.join('\n')).toMatch(/trunks\.yaml: trunks\[0\]\.breaker\.failures: .*\(got 0\)/);
    expect(errors.join('\n')).toMatch(/trunks\.yaml: trunks\[0\]\.limits\.callsPerDay: .*\(got -1\)/);
    expect(errors.join('\n')).toMatch(/trunks\.yaml: trunks\[0\]\.limits: .*perWeek/);
    const sipOnly = errorsOf(rulesDir({ 'trunks.yaml': TRUNKS.replace('    line: sip\n', '    line: sip\n    limits: { callsPerHour: 10 }\n') }));
    expect(sipOnly).toEqual([expect.stringMatching(/trunks\.yaml: trunks\[1\]\.limits: SIM limits apply to GSM trunks only; "sip" is sip/)]);
  });
});
