import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PortedRepository } from '../../../src/adapters/db/repositories/ported-repository.ts';
import { CarrierIndexStore } from '../../../src/app/numbering/carrier-index-store.ts';
import { importPlan } from '../../../src/app/numbering/import-plan.ts';
import { importPorted, PortedFileError } from '../../../src/app/numbering/import-ported.ts';
import { FIXTURE_ROWS, mapping, tempDir, writePlan, writeText } from '../../contracts/numbering-fixtures.ts';
import { tempSqliteDb } from '../../support/db.ts';

// ЦНИИС (БДПН) files: no public sample exists, so these are generated in the documented layouts.
describe('ported numbers import', () => {
  let t: Awaited<ReturnType<typeof tempSqliteDb>>;
  const tmp = tempDir();
  const PORT_ALL_HEADER = 'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount';
  const portAll = (rows: [string, string][]): string =>
    `${PORT_ALL_HEADER}\n${rows.map(([n, o], i) => `${n},${o},01,D0177,77,2025-03-01T10:00:00,${i === 0 ? rows.length : ''}`).join('\n')}\n`;

  async function lookup(digits: string) {
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping });
    await store.reload();
    return store.current().lookup(digits);
  }

  beforeAll(async () => {
    t = await tempSqliteDb();
  });
  beforeEach(async () => {
    await t.db('ported_snapshot_chunks').delete();
    await t.db('ported_snapshots').delete();
    await t.db('numbering_plan_versions').delete();
    await importPlan({ db: t.db, files: [writePlan(tmp.dir, 'DEF.csv', FIXTURE_ROWS)], mapping, now: 1 });
  });
  afterAll(async () => {
    await t.close();
    tmp.remove();
  });

  it('Port_All: the override wins over the range, and a new full file replaces the whole set', async () => {
    const first = writeText(tmp.dir, 'Port_All_202601010000_1.csv', portAll([['9261234567', 'mMTS'], ['9151500000', 'mMEGAFON']]));
    const s1 = await importPorted({ db: t.db, file: first, mapping, now: 1 });
    expect(s1).toMatchObject({ layout: 'Port_All', mode: 'full', rows: 2, numbers: 2 });
    expect(await lookup('79261234567')).toMatchObject({ key: 'mts', source: 'ported', operator: null, kind: 'mobile' });
    expect(await lookup('79151500000')).toMatchObject({ key: 'megafon', source: 'ported' });

    const second = writeText(tmp.dir, 'Port_All_202601020000_1.csv', portAll([['9151500001', 'mTELE2']]));
    // Half the set gone: only with --force (the guard has its own tests).
    await importPorted({ db: t.db, file: second, mapping, now: 2, force: true });
    expect(await lookup('79261234567')).toMatchObject({ key: 'megafon', source: 'range' });
    expect((await lookup('79151500001')).key).toBe('tele2');
  });

  it('Port_All_Full: reads Number and OwnerId wherever they are', async () => {
    const text = 'NPId,Number,OwnerId,MNC,Route,RegionCode,PortDate,DonorId,RangeHolderId,OldRoute,OldMNC,ProcessType,RowCount\n'
      + '1001,9261234567,mBEELINE,99,D9977,77,2025-03-01,mMEGAFON,mMEGAFON,D0277,02,Port,1\n';
    const s = await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_All_Full_202601010000_1.csv', text), mapping, now: 1 });
    expect(s).toMatchObject({ layout: 'Port_All_Full', mode: 'full' });
    expect((await lookup('79261234567')).key).toBe('beeline');
  });

  it('Port_Increment: changes the stored set using RecipientId', async () => {
    await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_All_1.csv', portAll([['9261234567', 'mMTS'], ['9151500000', 'mMEGAFON']])), mapping, now: 1 });
    const inc = 'NPId,Number,RecipientId,DonorId,RangeHolderId,OldRoute,NewRoute,OldMNC,NewMNC,RegionCode,PortDate,RowCount\n'
      + '2001,9261234567,mTELE2,mMTS,mMEGAFON,D0177,D2077,01,20,77,2025-04-01,2\n'
      + '2002,9260000001,mBEELINE,mMEGAFON,mMEGAFON,D0277,D9977,02,99,77,2025-04-01,\n';
    const s = await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_Increment_202604010000_1.csv', inc), mapping, now: 2 });
    expect(s).toMatchObject({ layout: 'Port_Increment', mode: 'increment', added: 1, updated: 1, removed: 0, numbers: 3 });
    expect((await lookup('79261234567')).key).toBe('tele2');
    expect((await lookup('79260000001')).key).toBe('beeline');
    expect((await lookup('79151500000')).key).toBe('megafon');
  });

  it('older windows-1251 feeds: Port_All_New by operator name, Port_Hour_New adds, Port_Hour_Returned removes', async () => {
    const all = iconv.encode('Номер,Оператор\n9261234567,ПАО "Мобильные ТелеСистемы"\n9151500000,ПАО "Вымпел-Коммуникации"\r\n', 'win1251');
    const s1 = await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_All_New.csv', all), mapping, now: 1 });
    expect(s1).toMatchObject({ layout: 'Port_All_New', mode: 'full', numbers: 2, unknownOwners: [] });
    expect((await lookup('79261234567')).key).toBe('mts');

    const hour = iconv.encode('Номер,Оператор\n9260000002,ООО "Т2 Мобайл"\n', 'win1251');
    await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_Hour_New.csv', hour), mapping, now: 2 });
    expect((await lookup('79260000002')).key).toBe('tele2');

    const returned = iconv.encode('Номер,Оператор\n9261234567,ПАО "МегаФон"\n9999999999,\n', 'win1251');
    const s3 = await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_Hour_Returned.csv', returned), mapping, now: 3 });
    expect(s3).toMatchObject({ mode: 'returned', removed: 1, numbers: 2 });
    expect(await lookup('79261234567')).toMatchObject({ key: 'megafon', source: 'range' });
  });

  it('plain number;carrier: with or without a header, any Russian number form, merged into the set', async () => {
    await importPorted({ db: t.db, file: writeText(tmp.dir, 'a.csv', 'number;carrier\n79261234567;mts\n'), mapping, now: 1 });
    const s = await importPorted({ db: t.db, file: writeText(tmp.dir, 'b.csv', '89151500000;beeline\r\n+7 926 000 00 03;tele2\r\n8 (903) 123-45-67;mts\r\n'), mapping, now: 2 });
    expect(s).toMatchObject({ layout: 'plain', mode: 'increment', numbers: 4 });
    expect((await lookup('79031234567')).key).toBe('mts');
    // Without a header, a first row written with brackets and dashes is data, not a header.
    await importPorted({ db: t.db, file: writeText(tmp.dir, 'c.csv', '8 (903) 765-43-21;beeline\n'), mapping, now: 3 });
    expect((await lookup('79037654321')).key).toBe('beeline');
    expect((await lookup('79261234567')).key).toBe('mts');
    expect((await lookup('79151500000')).key).toBe('beeline');
    expect((await lookup('79260000003')).key).toBe('tele2');
  });

  it('--mode overrides the detected mode (a plain file as the full set)', async () => {
    await importPorted({ db: t.db, file: writeText(tmp.dir, 'a.csv', '79261234567;mts\n'), mapping, now: 1 });
    await importPorted({ db: t.db, file: writeText(tmp.dir, 'b.csv', '79151500000;mts\n'), mapping, now: 2, mode: 'full' });
    expect((await lookup('79261234567')).source).toBe('range');
  });

  it('reports unknown owner ids with their counts, and still lets them override the range', async () => {
    const file = writeText(tmp.dir, 'Port_All_2.csv', portAll([['9261234567', 'mNEWCO'], ['9261234568', 'mNEWCO'], ['9261234569', 'mMTS']]));
    const s = await importPorted({ db: t.db, file, mapping, now: 1 });
    expect(s.unknownOwners).toEqual([{ owner: 'mNEWCO', numbers: 2 }]);
    expect(s.byCarrier).toEqual([{ key: 'mts', numbers: 1 }]);
    expect(await lookup('79261234567')).toMatchObject({ key: null, source: 'ported' });
  });

  describe('a bad file changes nothing', () => {
    const cases: [string, string, string][] = [
      ['Port_All_3.csv', `${PORT_ALL_HEADER}\n9261234567,mMTS,01,D,77,2025,2\n926123456,mMTS,01,D,77,2025,\n`, ':3: "926123456,mMTS,01,D,77,2025,": the number is not 10 digits'],
      ['Port_All_4.csv', `${PORT_ALL_HEADER}\n9261234567,mMTS,01,D,77,2025,3\n9261234568,mMTS,01,D,77,2025,\n`, ': RowCount says 3 rows but the file has 2'],
      ['Port_All_5.csv', `${PORT_ALL_HEADER}\n9261234567,,01,D,77,2025,1\n`, ':2: missing owner (column 2)'],
      ['weird.csv', 'foo,bar\n1,2\n', ':1: unknown ported-numbers layout'],
    ];
    it.each(cases)('%s', async (name, text, expected) => {
      await importPorted({ db: t.db, file: writeText(tmp.dir, 'Port_All_ok.csv', portAll([['9261234567', 'mMTS']])), mapping, now: 1 });
      const before = await new PortedRepository(t.db).history();
      const file = writeText(tmp.dir, name, text);
      const err = await importPorted({ db: t.db, file, mapping, now: 2 }).then(() => null, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(PortedFileError);
      expect(err!.message.startsWith(`${file}${expected}`), err!.message).toBe(true);
      expect(await new PortedRepository(t.db).history()).toEqual(before);
      expect((await lookup('79261234567')).key).toBe('mts');
    });
  });
});
