import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPlanFile, sampleAbc4Rows, sampleDefRows } from '../../../src/adapters/numbering-plan/sample.ts';
import { CarrierIndexStore } from '../../../src/app/numbering/carrier-index-store.ts';
import { importPorted } from '../../../src/app/numbering/import-ported.ts';
import { importSamplePlanIfEmpty, SAMPLE_PLAN_FILES } from '../../../src/app/numbering/sample-plan.ts';
import { mapping } from '../../contracts/numbering-fixtures.ts';
import { tempSqliteDb } from '../../support/db.ts';

const carrierDb = path.dirname(SAMPLE_PLAN_FILES[0]!);

describe('the shipped sample in carrier-db/', () => {
  let t: Awaited<ReturnType<typeof tempSqliteDb>>;
  beforeAll(async () => {
    t = await tempSqliteDb();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is what the generator produces (run `npm run sample-data` after changing it)', () => {
    expect(fs.readFileSync(path.join(carrierDb, 'sample-DEF-9xx.csv')).equals(renderPlanFile(sampleDefRows(), 'current-8col'))).toBe(true);
    expect(fs.readFileSync(path.join(carrierDb, 'sample-ABC-4xx.csv')).equals(renderPlanFile(sampleAbc4Rows(), 'current-8col'))).toBe(true);
  });

  it('is imported when the plan is empty, and only then', async () => {
    const first = await importSamplePlanIfEmpty(t.db, mapping, 1);
    expect(first?.rows).toBe(382);
    expect(await importSamplePlanIfEmpty(t.db, mapping, 2)).toBeNull();
  });

  it('resolves the documented examples, and the sample ported numbers override them', async () => {
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping });
    await store.reload();
    const keyOf = (d: string): string | null => store.current().lookup(d).key;
    expect([keyOf('79261234567'), keyOf('79151234567'), keyOf('79031234567'), keyOf('79521234567')]).toEqual(['megafon', 'mts', 'beeline', 'tele2']);
    expect(store.current().lookup('74951234567')).toMatchObject({ key: 'mgts', kind: 'landline' });
    expect(store.current().lookup('79029000001')).toMatchObject({ key: 'vtb-mobile', onNet: 'tele2' });

    const summary = await importPorted({ db: t.db, file: path.join(carrierDb, 'sample-ported.csv'), mapping, now: 3 });
    expect(summary.unknownOwners).toEqual([]);
    await store.reload();
    expect(store.current().lookup('79261234000')).toMatchObject({ key: 'mts', source: 'ported' });
    expect(store.current().lookup('79161234001')).toMatchObject({ key: 'sber-mobile', onNet: 'tele2', source: 'ported' });
  });

  it('answers the same when only the number\'s code is loaded (a one-off CLI lookup)', async () => {
    const whole = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping });
    await whole.reload();
    const numbers = ['79261234567', '79261234000', '79151234567', '79029000001', '74951234567', '79991234567'];
    for (const n of numbers) {
      const one = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping, codes: [Number(n.slice(1, 4))] });
      await one.reload();
      expect(one.current().lookup(n)).toEqual(whole.current().lookup(n));
      expect(one.state().ranges).toBeLessThan(whole.state().ranges);
    }
  });
});
