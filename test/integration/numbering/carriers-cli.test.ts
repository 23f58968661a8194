import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writeText } from '../../contracts/numbering-fixtures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

describe('b24pbx carriers (CLI)', () => {
  const tmp = tempDir();
  const env = { ...process.env, DATABASE_URL: path.join(tmp.dir, 'cli.sqlite'), RULES_DIR: path.join(root, 'rules') };
  afterAll(() => tmp.remove());

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin/b24pbx.js'), 'carriers', ...args], { cwd: root, env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('refuses a rollback on a fresh database with a reason (exit 1)', async () => {
    const r = await cli('rollback');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('nothing to roll back: no numbering plan has been imported');
  });

  it('imports the shipped sample on a fresh database and prints a summary', async () => {
    const r = await cli('import', 'carrier-db/sample-DEF-9xx.csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^imported numbering plan version 1: 374 rows/);
    expect(r.stdout).toMatch(/\n {2}megafon +200,000,000 {2}\(100 ranges/);
    expect(r.stdout).toMatch(/unmapped operators: 1 .*\n {2}ООО «ТМТ» \(ИНН 1655327859\)/);
    // Not a terminal: no progress bar on stderr.
    expect(r.stderr).not.toMatch(/importing \[/);
  });

  it('looks a number up as JSON', async () => {
    const r = await cli('lookup', '+7 926 123-45-67', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      e164: '+79261234567',
      carrier: { key: 'megafon', operator: 'ПАО "МЕГАФОН"', inn: '7812014560', region: 'Город Москва, Московская область', source: 'range', onNet: 'megafon', kind: 'mobile' },
    });
  });

  it('imports ported numbers and looks up a ported number, and its neighbour from the plan', async () => {
    const file = writeText(tmp.dir, 'Port_All_202601150000_1.csv',
      'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n9261234567,mMTS,01,D2501,77,2025-01-01,2\n9151500000,mBEELINE,99,D9901,77,2025-01-02,\n');
    const imported = await cli('import-ported', file);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^imported ported numbers \(Port_All, full\): 2 rows/);
    const ported = await cli('lookup', '+79261234567', '--json');
    expect(ported.code, ported.stderr).toBe(0);
    expect(JSON.parse(ported.stdout).carrier).toMatchObject({ key: 'mts', source: 'ported', region: 'Город Москва, Московская область' });
    const neighbour = await cli('lookup', '+79261234568', '--json');
    expect(JSON.parse(neighbour.stdout).carrier).toMatchObject({ key: 'megafon', source: 'range' });
  });

  it('rejects an invalid number with a one-line reason (exit 1)', async () => {
    const r = await cli('lookup', '12ab');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^INVALID_NUMBER: invalid phone number "12ab"/);
  });

  it('aborts a bad import with file:line (exit 1) and keeps the history', async () => {
    const bad = writeText(tmp.dir, 'bad.csv', 'АВС/ DEF;От;До;Емкость;Оператор;Регион\n926;5;1;0;X;Y');
    const r = await cli('import', bad);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`${bad}:2: "От" 5 is greater than "До" 1`);
    const h = await cli('history', '--json');
    const history = JSON.parse(h.stdout) as { plans: { id: number; active: boolean; files: { name: string }[] }[] };
    expect(history.plans.map((p) => [p.id, p.active, p.files[0]!.name])).toEqual([[1, true, 'carrier-db/sample-DEF-9xx.csv']]);
  });

  it('stops quietly when the reader closes the pipe early (`| head`): no EPIPE stack trace, exit 0', async () => {
    // The read end is closed before the CLI writes anything, so every write fails with EPIPE.
    const child = spawn(process.execPath, [path.join(root, 'bin/b24pbx.js'), 'carriers', 'history'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
