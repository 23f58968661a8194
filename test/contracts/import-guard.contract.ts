import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CarrierIndexStore } from '../../src/app/numbering/carrier-index-store.ts';
import { ImportRefusedError, importPlan, PlanFileError } from '../../src/app/numbering/import-plan.ts';
import { importPorted } from '../../src/app/numbering/import-ported.ts';
import { planHistory } from '../../src/app/numbering/plan-history.ts';
import { PortedRepository } from '../../src/adapters/db/repositories/ported-repository.ts';
import type { Db } from '../../src/adapters/db/connection.ts';
import type { NumberingDbHandle } from './numbering.contract.ts';
import { FIXTURE_ROWS, HEADER_8, mapping, tempDir, writePlan, writeText } from './numbering-fixtures.ts';

const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);
const MGTS = '495;1000000;1999999;1000000;ПАО МГТС;г. Москва;Город Москва;7710016640';

function portAll(rows: number): string {
  const lines = ['Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount'];
  for (let i = 0; i < rows; i++) lines.push(`${9_260_000_000 + i},mMTS,01,D2501,77,2025-01-01,${i === 0 ? rows : ''}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Imports that would gut routing are refused and change nothing, on SQLite and PostgreSQL: a
 * kind of numbers left without ranges, a shrink over the limit, a header alone, oversized
 * fields and lines, a truncated full ported feed.
 */
export function importGuardContract(label: string, open: () => Promise<NumberingDbHandle>): void {
  describe(`import guards (${label})`, () => {
    let h: NumberingDbHandle;
    const tmp = tempDir();
    const def = writePlan(tmp.dir, 'DEF-9xx.csv', FIXTURE_ROWS);
    const abc = writeText(tmp.dir, 'ABC-4xx.csv', `\uFEFF${HEADER_8}\n${MGTS}\n`);
    const lookup = async (db: Db, digits: string) => {
      const store = new CarrierIndexStore({ db, loadMapping: () => mapping });
      await store.reload();
      return store.current().lookup(digits);
    };
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);

    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h.close();
      tmp.remove();
    });
    beforeEach(async () => {
      await h.clean();
      await importPlan({ db: h.db, files: [def, abc], mapping, now: NOW });
    });

    it('refuses a DEF file alone over a DEF + ABC plan, saying what would be lost; --force imports it', async () => {
      const before = await planHistory(h.db);
      const err = await refusal(importPlan({ db: h.db, files: [def], mapping, now: NOW + 1 }));
      expect(err).toBeInstanceOf(ImportRefusedError);
      expect(err?.message).toBe('import refused, the active plan is unchanged: the files have no ABC (landline) ranges, so the active plan\'s '
        + '1,000,000 landline numbers would become unknown. A version replaces the whole plan: import the DEF and ABC files together, or use --force if this is meant');
      expect(await planHistory(h.db)).toEqual(before);
      expect(await lookup(h.db, '74951234567')).toMatchObject({ key: 'mgts', source: 'range' });

      const forced = await importPlan({ db: h.db, files: [def], mapping, now: NOW + 2, force: true });
      expect(forced.forced).toMatch(/no ABC \(landline\) ranges/);
      expect((await lookup(h.db, '74951234567')).source).toBe('unknown');
    });

    it('refuses a plan that loses more than the allowed share of a kind, by how much; a smaller loss or a higher limit passes', async () => {
      const withoutMegafon = writePlan(tmp.dir, 'DEF-small.csv', FIXTURE_ROWS.filter((r) => r.code !== 926 || r.from !== 0));
      const err = await refusal(importPlan({ db: h.db, files: [withoutMegafon, abc], mapping, now: NOW + 1 }));
      expect(err).toBeInstanceOf(ImportRefusedError);
      expect(err?.message).toContain('DEF (mobile) numbers would drop from 7,000,101 to 2,000,101 (−71.4 %, more than the 10 % allowed)');
      expect((await planHistory(h.db)).map((v) => v.id)).toHaveLength(1);
      expect((await lookup(h.db, '79261234567')).key).toBe('megafon');

      const withoutTele2 = writePlan(tmp.dir, 'DEF-no-tele2.csv', FIXTURE_ROWS.filter((r) => r.code !== 952));
      expect((await importPlan({ db: h.db, files: [withoutTele2, abc], mapping, now: NOW + 2 })).forced).toBeNull();
      expect((await importPlan({ db: h.db, files: [withoutMegafon, abc], mapping, now: NOW + 3, maxShrink: 0.75 })).forced).toBeNull();
      expect((await lookup(h.db, '79261234567')).source).toBe('unknown');
    });

    it('refuses a file holding only a header, naming it', async () => {
      const headerOnly = writeText(tmp.dir, 'DEF-empty.csv', `\uFEFF${HEADER_8}\n`);
      const err = await refusal(importPlan({ db: h.db, files: [headerOnly, abc], mapping, now: NOW + 1, force: true }));
      expect(err).toBeInstanceOf(PlanFileError);
      expect(err?.message).toBe(`${headerOnly}:1: a header and no ranges: nothing to import`);
      expect((await planHistory(h.db)).map((v) => v.id)).toHaveLength(1);
    });

    it.each([
      ['an operator over 256 characters', `926;0000000;0000009;10;ООО "${'Я'.repeat(300)}";-;Москва;7812014560`, ':3: "Оператор" is 306 characters long, more than 256'],
      ['a region over 512 characters', `926;0000000;0000009;10;ПАО "МегаФон";-;${'Москва, '.repeat(80)}Тверь;7812014560`, ':3: "Регион" is 645 characters long, more than 512'],
      ['a control character in a name', '926;0000000;0000009;10;ПАО "Мега\u001b[2JФон";-;Москва;7812014560', ':3: "Оператор" holds a control character (U+001B)'],
      ['a 5000-digit ИНН (a line too long)', `926;0000000;0000009;10;ПАО "МегаФон";-;Москва;${'7'.repeat(5000)}`, ':3: line longer than 4096 characters: not a registry row'],
    ])('refuses %s with file:line, changing nothing', async (_what, row, expected) => {
      const file = writeText(tmp.dir, 'bad.csv', `${HEADER_8}\n903;0000000;0999999;1000000;ПАО "Вымпел-Коммуникации";-;Москва;7713076301\n${row}\n`);
      const err = await refusal(importPlan({ db: h.db, files: [file], mapping, now: NOW + 1, force: true }));
      expect(err).toBeInstanceOf(PlanFileError);
      expect(err?.message).toBe(`${file}${expected}`);
      expect((await planHistory(h.db)).map((v) => v.id)).toHaveLength(1);
    });

    it('refuses a 10 MB line at its line number, without reading it whole', async () => {
      const file = writeText(tmp.dir, 'huge.csv', Buffer.concat([
        Buffer.from(`${HEADER_8}\n926;0000000;0000009;10;ООО "`), Buffer.alloc(10 * 1024 * 1024, 'A'), Buffer.from('";-;Москва;7812014560\n'),
      ]));
      const read: number[] = [];
      const err = await refusal(importPlan({ db: h.db, files: [file], mapping, now: NOW + 1, force: true, onProgress: (done) => read.push(done) }));
      expect(err?.message).toBe(`${file}:2: line longer than 4096 characters: not a registry row`);
      // Refused at the first chunk: the rest of the line was never read.
      expect(read).toEqual([]);
    });

    it('refuses a ported-numbers line over 4096 bytes at its line number, without reading it whole', async () => {
      const file = writeText(tmp.dir, 'Port_All_9.csv', Buffer.concat([
        Buffer.from('Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n9261234567,'), Buffer.alloc(20 * 1024 * 1024, 'm'), Buffer.from(',01,D2501,77,2025-01-01,1\n'),
      ]));
      const read: number[] = [];
      const err = await refusal(importPorted({ db: h.db, file, mapping, now: NOW, onProgress: (b) => read.push(b) }));
      expect(err?.message).toBe(`${file}:2: line longer than 4096 bytes: not a ported-numbers row`);
      expect(read).toEqual([]);
      expect(await new PortedRepository(h.db).activeMeta()).toBeNull();
    });

    it('refuses a full ported feed that would drop more than the limit, and an empty one; --force and increments pass', async () => {
      await importPorted({ db: h.db, file: writeText(tmp.dir, 'Port_All_1.csv', portAll(100)), mapping, now: NOW });
      const truncated = writeText(tmp.dir, 'Port_All_2.csv', portAll(80));
      const err = await refusal(importPorted({ db: h.db, file: truncated, mapping, now: NOW + 1 }));
      expect(err).toBeInstanceOf(ImportRefusedError);
      expect(err?.message).toBe(`${truncated}: import refused, the ported numbers are unchanged: the override set would drop from 100 to 80 numbers (−20 %, more than the 10 % allowed). Use --force if this is meant`);
      const empty = writeText(tmp.dir, 'Port_All_3.csv', 'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n');
      expect((await refusal(importPorted({ db: h.db, file: empty, mapping, now: NOW + 1 })))?.message).toBe(`${empty}: a full ported-numbers file with no rows: nothing imported (--force empties the set)`);
      expect((await new PortedRepository(h.db).activeMeta())?.numbers).toBe(100);

      expect((await importPorted({ db: h.db, file: writeText(tmp.dir, 'Port_All_4.csv', portAll(91)), mapping, now: NOW + 2 })).forced).toBeNull();
      const returned = writeText(tmp.dir, 'Port_Hour_Returned_1.csv', Array.from({ length: 50 }, (_, i) => `${9_260_000_000 + i},mMTS`).join('\n'));
      expect((await importPorted({ db: h.db, file: returned, mapping, now: NOW + 3 })).numbers).toBe(41);
      const forced = await importPorted({ db: h.db, file: writeText(tmp.dir, 'Port_All_5.csv', portAll(10)), mapping, now: NOW + 4, force: true });
      expect(forced).toMatchObject({ numbers: 10, forced: expect.stringContaining('from 41 to 10 numbers') });
    });
  });
}
