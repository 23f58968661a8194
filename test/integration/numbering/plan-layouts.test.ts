import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/adapters/db/connection.ts';
import { CarrierIndexStore } from '../../../src/app/numbering/carrier-index-store.ts';
import { importPlan, PlanFileError } from '../../../src/app/numbering/import-plan.ts';
import { planHistory } from '../../../src/app/numbering/plan-history.ts';
import type { PlanFileStyle } from '../../../src/adapters/numbering-plan/sample.ts';
import { FIXTURE_ROWS, HEADER_8, mapping, tempDir, writePlan, writeText } from '../../contracts/numbering-fixtures.ts';
import { tempSqliteDb } from '../../support/db.ts';

// Generated files in every layout the registry has used: these run on a bare clone.
describe('plan import: every layout, generated', () => {
  let t: Awaited<ReturnType<typeof tempSqliteDb>>;
  const tmp = tempDir();
  beforeAll(async () => {
    t = await tempSqliteDb();
  });
  afterAll(async () => {
    await t.close();
    tmp.remove();
  });
  // Each test starts with no plan: a smaller plan over a bigger one is refused (import-guard tests).
  beforeEach(async () => {
    await t.db('numbering_plan_versions').delete();
  });

  async function lookup(db: Db, digits: string) {
    const store = new CarrierIndexStore({ db, loadMapping: () => mapping });
    await store.reload();
    return store.current().lookup(digits);
  }

  it.each<[PlanFileStyle, number, string]>([
    ['current-8col', 8, 'utf-8'],
    ['excel-7col', 7, 'utf-8'],
    ['utf8-6col', 6, 'utf-8'],
    ['cp1251-6col', 6, 'windows-1251'],
  ])('imports the %s layout and answers lookups from it', async (style, columns, encoding) => {
    const file = writePlan(tmp.dir, `${style}.csv`, FIXTURE_ROWS, style);
    const summary = await importPlan({ db: t.db, files: [file], mapping, now: 1 });
    expect(summary.rows).toBe(FIXTURE_ROWS.length);
    expect(summary.version.files[0]).toMatchObject({ columns, encoding });
    const megafon = await lookup(t.db, '79261234567');
    expect(megafon).toMatchObject({ key: 'megafon', operator: 'ПАО "МегаФон"', kind: 'mobile', source: 'range' });
    // Only files with an ИНН column carry it; the 6-column ones are mapped by name.
    expect(megafon.inn).toBe(columns === 6 ? null : '7812014560');
    expect(megafon.region).toBe(columns === 8 ? 'Город Москва, Московская область' : 'г. Москва и Московская область');
    expect((await lookup(t.db, '79265000000')).operator).toBe('ООО «ТМТ»');
    expect((await lookup(t.db, '79520000099')).key).toBe('tele2');
    expect((await lookup(t.db, '79520000100')).source).toBe('unknown');
  });

  it('counts numbers per carrier and lists unmapped operators in the summary', async () => {
    const summary = await importPlan({ db: t.db, files: [writePlan(tmp.dir, 's.csv', FIXTURE_ROWS)], mapping, now: 1 });
    expect(summary.numbersByCarrier).toEqual([
      { key: 'megafon', numbers: 5_000_000, rows: 1 },
      { key: 'beeline', numbers: 1_000_000, rows: 1 },
      { key: 'mts', numbers: 1_000_000, rows: 1 },
      { key: 'tele2', numbers: 100, rows: 1 },
    ]);
    expect(summary.unmapped).toEqual([{ operator: 'ООО «ТМТ»', inn: '1655327859', rows: 1, numbers: 1 }]);
  });

  it('imports DEF and ABC files together as one plan version', async () => {
    const def = writePlan(tmp.dir, 'DEF.csv', FIXTURE_ROWS);
    const abc = writeText(tmp.dir, 'ABC-4xx.csv', `\uFEFF${HEADER_8}\n495;1000000;1999999;1000000;ПАО МГТС;г. Москва;Город Москва;7710016640`);
    const summary = await importPlan({ db: t.db, files: [def, abc], mapping, now: 1 });
    expect(summary.version.files.map((f) => f.rows)).toEqual([5, 1]);
    expect(await lookup(t.db, '74951234567')).toMatchObject({ key: 'mgts', kind: 'landline', onNet: null });
    expect((await lookup(t.db, '79030123456')).key).toBe('beeline');
  });

  it('accepts CRLF, blank lines and a missing final newline', async () => {
    const text = `${HEADER_8}\r\n926;0000000;0000009;10;ПАО "МегаФон";-;Москва;7812014560\r\n\r\n926;0000010;0000019;10;ПАО "МТС";-;Москва;7740000076`;
    await importPlan({ db: t.db, files: [writeText(tmp.dir, 'crlf.csv', text)], mapping, now: 1 });
    expect((await lookup(t.db, '79260000015')).key).toBe('mts');
  });

  describe('one bad row aborts the import with file:line, and the active plan stays', () => {
    const good = `${HEADER_8}\n926;0000000;0000009;10;ПАО "МегаФон";-;Москва;7812014560`;
    const cases: [string, string, string][] = [
      ['From > To', `${good}\n926;0000020;0000010;0;ПАО "МТС";-;Москва;7740000076`, ':3: "От" 0000020 is greater than "До" 0000010'],
      ['capacity mismatch', `${good}\n926;0000020;0000029;11;ПАО "МТС";-;Москва;7740000076`, ':3: capacity mismatch: "Емкость" 11 ≠ До − От + 1 = 10'],
      ['code not 3 digits', `${good}\n\n9260;0000020;0000029;10;ПАО "МТС";-;Москва;7740000076`, ':4: code "9260" is not 3 digits'],
      ['overlap within the file', `${good}\n926;0000100;0000199;100;ПАО "МТС";-;Москва;7740000076\n926;0000005;0000010;6;ПАО "МТС";-;Москва;7740000076`, ':4: overlapping ranges: 926 0000005–0000010 overlaps 926 0000000–0000009 at '],
      ['unknown layout (5 columns)', 'АВС/ DEF;От;До;Емкость;Оператор\n926;0;9;10;X', ':1: unknown layout: the header (5 columns) lacks "Регион"'],
      ['unknown layout (7 columns, no ИНН)', 'АВС/ DEF;От;До;Емкость;Оператор;Регион;Что-то\n926;0;9;10;X;Y;Z', ':1: unknown layout: 7 columns without "ИНН"'],
      ['wrong field count', `${good}\n926;0000020;0000029;10;ПАО "МТС";-;7740000076`, ':3: expected 8 fields, got 7'],
      ['empty file', '', ':1: unknown layout: the file is empty'],
    ];

    it.each(cases)('%s', async (_kind, text, expected) => {
      const base = writePlan(tmp.dir, 'base.csv', FIXTURE_ROWS);
      await importPlan({ db: t.db, files: [base], mapping, now: 1 });
      const before = await planHistory(t.db);
      const file = writeText(tmp.dir, 'bad.csv', text);
      const err = await importPlan({ db: t.db, files: [file], mapping, now: 2 }).then(() => null, (e: unknown) => e as Error);
      expect(err?.message.startsWith(`${file}${expected}`), err?.message).toBe(true);
      expect(await planHistory(t.db)).toEqual(before);
      expect((await lookup(t.db, '79261234567')).key).toBe('megafon');
    });

    it('invalid UTF-8 far into a UTF-8 file: names the exact line, and the active plan stays', async () => {
      await importPlan({ db: t.db, files: [writePlan(tmp.dir, 'base.csv', FIXTURE_ROWS)], mapping, now: 1 });
      const before = await planHistory(t.db);
      // Over 256 KiB of valid UTF-8 (so the encoding is settled as UTF-8), then one windows-1251 row.
      const rows = Array.from({ length: 6000 }, (_, k) => `926;${String(k * 100).padStart(7, '0')};${String(k * 100 + 99).padStart(7, '0')};100;ПАО "МегаФон";-;Москва;7812014560`);
      const text = Buffer.concat([
        Buffer.from(`${HEADER_8}\n${rows.join('\n')}\n`),
        iconv.encode('927;0000000;0000099;100;ПАО "Связь";-;Москва;7812014560\n', 'win1251'),
      ]);
      const file = writeText(tmp.dir, 'mixed.csv', text);
      await expect(importPlan({ db: t.db, files: [file], mapping, now: 2 })).rejects.toThrow(new PlanFileError(`${file}:6002: invalid UTF-8 (the file starts as UTF-8, so every line must be)`));
      expect(await planHistory(t.db)).toEqual(before);
    });

    it('names a missing file', async () => {
      await expect(importPlan({ db: t.db, files: ['/nonexistent/DEF.csv'], mapping, now: 1 })).rejects.toThrow('/nonexistent/DEF.csv: cannot read: ENOENT');
    });
  });

  it('reads a windows-1251 file with bare quotes and «» in names', async () => {
    const text = 'АВС/ DEF;От;До;Емкость;Оператор;Регион\n926;0;9;10;ЗАО "Ёлка «Связь»";Тверская обл.\n';
    await importPlan({ db: t.db, files: [writeText(tmp.dir, 'cp.csv', iconv.encode(text, 'win1251'))], mapping, now: 1 });
    expect(await lookup(t.db, '79260000005')).toMatchObject({ operator: 'ЗАО "Ёлка «Связь»"', region: 'Тверская обл.' });
  });
});
