import fs from 'node:fs';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarrierIndexStore } from '../../../src/app/numbering/carrier-index-store.ts';
import { importPlan } from '../../../src/app/numbering/import-plan.ts';
import { mapping } from '../../contracts/numbering-fixtures.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { hasSharedData, SKIP_REASON, sharedPath } from '../../support/shared-data.ts';

const FILES: [string, number, 'utf-8' | 'windows-1251', number][] = [
  ['DEF-9xx.csv', 17059, 'utf-8', 8],
  ['legacy/DEF-9xx.2023-01-12.7col.excel-resaved.csv', 9677, 'utf-8', 7],
  ['legacy/DEF-9xx.2020-11-06.6col.csv', 7954, 'utf-8', 6],
  ['legacy/Kody_DEF-9kh.2014-11-18.cp1251.csv', 66002, 'windows-1251', 6],
  ['legacy/Kody_ABC-3kh.2014-11-18.cp1251.csv', 19702, 'windows-1251', 6],
  ['legacy/Kody_ABC-8kh.2014-11-18.cp1251.csv', 49344, 'windows-1251', 6],
  ['excerpts/ABC-3xx.first-rows.excerpt.csv', 8, 'utf-8', 8],
  ['excerpts/ABC-8xx.selected-rows.excerpt.csv', 8, 'utf-8', 8],
];

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Rows read independently of the importer (csv-parse), to pick expectations from the file itself. */
function fileRows(file: string, encoding: string): string[][] {
  const bytes = fs.readFileSync(file);
  const text = encoding === 'windows-1251' ? iconv.decode(bytes, 'win1251') : bytes.toString('utf8');
  return (parse(text, { delimiter: ';', bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][]).slice(1);
}

// The real registry files live in ../shared (not in the repository): skipped on a bare clone.
describe.skipIf(!hasSharedData)(`real registry files (${hasSharedData ? 'present' : SKIP_REASON})`, () => {
  let t: Awaited<ReturnType<typeof tempSqliteDb>>;
  beforeAll(async () => {
    t = await tempSqliteDb();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(FILES)('%s: imports %i rows, and lookups return each sampled row\'s operator, INN and region', async (name, rows, encoding, columns) => {
    const file = sharedPath('numbering-plan', name);
    // Each file replaces the last one here, whatever it holds: the shrink guard has tests of its own.
    const summary = await importPlan({ db: t.db, files: [file], mapping, now: 1, force: true });
    expect(summary.rows).toBe(rows);
    expect(summary.version.files[0]).toMatchObject({ rows, encoding, columns });

    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping });
    await store.reload();
    const all = fileRows(file, encoding);
    expect(all).toHaveLength(rows);
    const step = Math.max(1, Math.floor(all.length / 150));
    for (let i = 0; i < all.length; i += step) {
      const r = all[i]!;
      const [code, from, to] = [r[0]!, Number(r[1]), Number(r[2])];
      const mid = from + Math.floor((to - from) / 2);
      for (const rest of [from, mid, to]) {
        const digits = `7${code}${String(rest).padStart(7, '0')}`;
        const info = store.current().lookup(digits);
        const region = columns === 8 ? squash(r[6]!) : squash(r[5]!);
        expect({ digits, operator: info.operator, inn: info.inn, region: info.region, source: info.source }).toEqual({
          digits,
          operator: squash(r[4]!),
          inn: columns === 6 ? null : r[columns - 1]!.trim(),
          region: region === '-' || region === '' ? null : region,
          source: 'range',
        });
        expect(info.kind).toBe(code.startsWith('9') ? 'mobile' : 'landline');
      }
    }
  });

  it('current DEF file: known rows map to the expected carriers', async () => {
    await importPlan({ db: t.db, files: [sharedPath('numbering-plan', 'DEF-9xx.csv')], mapping, now: 1, force: true });
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping });
    await store.reload();
    const l = store.current();
    // First data rows of the file: 900 0000000–0061999 Т2; last: 999 9600000–9999999 Скартел.
    expect(l.lookup('79000000000')).toMatchObject({ key: 'tele2', inn: '7743895280', region: 'Краснодарский край' });
    expect(l.lookup('79999999999')).toMatchObject({ key: 'yota', onNet: 'megafon', inn: '7701725181' });
  });

  it('DEF + ABC-3xx + ABC-8xx import together as one version', async () => {
    const files = ['DEF-9xx.csv', 'legacy/Kody_ABC-3kh.2014-11-18.cp1251.csv', 'legacy/Kody_ABC-8kh.2014-11-18.cp1251.csv'].map((f) => sharedPath('numbering-plan', f));
    const summary = await importPlan({ db: t.db, files, mapping, now: 1, force: true });
    expect(summary.rows).toBe(17059 + 19702 + 49344);
    expect(summary.version.files.map((f) => f.encoding)).toEqual(['utf-8', 'windows-1251', 'windows-1251']);
  });
});
