import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateLatest, migrateRollbackAll, type Db } from '../../src/adapters/db/connection.ts';
import { NumberingPlanRepository } from '../../src/adapters/db/repositories/numbering-plan-repository.ts';
import { PortedRepository } from '../../src/adapters/db/repositories/ported-repository.ts';
import { CarrierIndexStore } from '../../src/app/numbering/carrier-index-store.ts';
import { importPlan, PlanFileError } from '../../src/app/numbering/import-plan.ts';
import { importPorted } from '../../src/app/numbering/import-ported.ts';
import { NothingToRollBackError, planHistory, rollbackPlan } from '../../src/app/numbering/plan-history.ts';
import { PortedSetBuilder } from '../../src/core/numbering/ported-builder.ts';
import { PortedSet } from '../../src/core/numbering/ported-set.ts';
import { FIXTURE_ROWS, HEADER_8, mapping, tempDir, writePlan, writeText } from './numbering-fixtures.ts';

export interface NumberingDbHandle {
  readonly db: Db;
  /** Empties the numbering tables (the PostgreSQL lane shares one database). */
  clean(): Promise<void>;
  close(): Promise<void>;
}

/** An empty database of the same kind, not migrated, that nothing else uses. */
export type OpenEmptyDb = () => Promise<{ readonly db: Db; close(): Promise<void> }>;

const NUMBERING_TABLES = ['numbering_plan_versions', 'numbering_plan_entries', 'numbering_plan_ranges', 'ported_snapshots', 'ported_snapshot_chunks'];

const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

/**
 * Numbering-plan and ported-number storage, run against SQLite and PostgreSQL: versioning,
 * atomic aborts, rollback, and the chunked ported snapshot.
 */
export function numberingContract(label: string, open: () => Promise<NumberingDbHandle>, openEmpty: OpenEmptyDb): void {
  describe(`numbering migrations (${label})`, () => {
    const tmp = tempDir();
    afterAll(() => tmp.remove());

    it('creates the numbering tables, drops them all on rollback, and re-creates a working schema', async () => {
      const { db, close } = await openEmpty();
      try {
        const present = async () => Promise.all(NUMBERING_TABLES.map(async (t) => [t, await db.schema.hasTable(t)] as const));
        expect(await present()).toEqual(NUMBERING_TABLES.map((t) => [t, false]));
        await migrateLatest(db);
        expect(await present()).toEqual(NUMBERING_TABLES.map((t) => [t, true]));
        await importPlan({ db, files: [writePlan(tmp.dir, 'before-down.csv', FIXTURE_ROWS)], mapping, now: NOW });

        await migrateRollbackAll(db);
        expect(await present()).toEqual(NUMBERING_TABLES.map((t) => [t, false]));

        await migrateLatest(db);
        expect(await planHistory(db)).toEqual([]);
        const summary = await importPlan({ db, files: [writePlan(tmp.dir, 'after-up.csv', FIXTURE_ROWS)], mapping, now: NOW });
        expect((await planHistory(db)).map((v) => [v.id, v.active, v.rows])).toEqual([[summary.version.id, true, 5]]);
      } finally {
        await close();
      }
    });
  });

  describe(`numbering storage (${label})`, () => {
    let h: NumberingDbHandle;
    const tmp = tempDir();
    const lookupAll = async (db: Db, numbers: string[]) => {
      const store = new CarrierIndexStore({ db, loadMapping: () => mapping });
      await store.reload();
      return numbers.map((n) => store.current().lookup(n));
    };

    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h.close();
      tmp.remove();
    });
    beforeEach(async () => {
      await h.clean();
    });

    it('imports a plan as the active version and reads it back with numbers as numbers', async () => {
      const file = writePlan(tmp.dir, 'DEF.csv', FIXTURE_ROWS);
      const summary = await importPlan({ db: h.db, files: [file], mapping, now: NOW });
      expect(summary.rows).toBe(5);
      const stored = await new NumberingPlanRepository(h.db).loadActive();
      expect(stored!.version).toMatchObject({ id: summary.version.id, importedAt: NOW, rows: 5, numbers: 7_000_101, active: true });
      expect(stored!.version.files).toEqual([expect.objectContaining({ name: file, rows: 5, columns: 8, encoding: 'utf-8', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
      expect(stored!.ranges).toContainEqual({ code: 926, from: 5_000_000, to: 5_000_000, entry: expect.any(Number) });
      const [megafon, tmt] = await lookupAll(h.db, ['79261234567', '79265000000']);
      expect(megafon).toMatchObject({ key: 'megafon', inn: '7812014560', source: 'range' });
      expect(tmt).toMatchObject({ key: null, operator: 'ООО «ТМТ»', region: 'Республика Татарстан' });
    });

    it('leaves the active plan and the history exactly as they were when an import fails', async () => {
      const good = writePlan(tmp.dir, 'good.csv', FIXTURE_ROWS);
      await importPlan({ db: h.db, files: [good], mapping, now: NOW });
      const historyBefore = await planHistory(h.db);
      const before = await lookupAll(h.db, ['79261234567', '79151500000', '79520000050']);
      // Valid rows first (they are written before the bad one is read), then a capacity mismatch.
      const bad = writeText(tmp.dir, 'bad.csv', [
        HEADER_8,
        '999;0000000;0000099;100;ООО "Т2 МОБАЙЛ";-;Краснодарский край;7743895280',
        '926;0000000;0000099;100;ПАО "МТС";-;Москва;7740000076',
        '926;0000100;0000199;99;ПАО "МТС";-;Москва;7740000076',
      ].join('\n'));
      await expect(importPlan({ db: h.db, files: [bad], mapping, now: NOW + 1 }))
        .rejects.toThrow(`${bad}:4: capacity mismatch: "Емкость" 99 ≠ До − От + 1 = 100`);
      expect(await planHistory(h.db)).toEqual(historyBefore);
      expect(await lookupAll(h.db, ['79261234567', '79151500000', '79520000050'])).toEqual(before);
      expect((await lookupAll(h.db, ['79990000000']))[0]!.source).toBe('unknown');
    });

    it('rejects overlapping ranges across the files of one plan, changing nothing', async () => {
      const a = writePlan(tmp.dir, 'a.csv', FIXTURE_ROWS);
      const b = writeText(tmp.dir, 'b.csv', `${HEADER_8}\n495;0000000;0000009;10;ПАО МГТС;-;Москва;7710016640\n915;1500000;1500009;10;ПАО "МТС";-;Москва;7740000076`);
      const err = await importPlan({ db: h.db, files: [a, b], mapping, now: NOW }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlanFileError);
      expect((err as Error).message).toBe(`${b}:3: overlapping ranges: 915 1500000–1500009 overlaps 915 1000000–1999999 at ${a}:3`);
      expect(await planHistory(h.db)).toEqual([]);
    });

    it('lists versions newest first and rolls back one version at a time', async () => {
      const v1 = writePlan(tmp.dir, 'v1.csv', FIXTURE_ROWS.slice(0, 2));
      const v2 = writePlan(tmp.dir, 'v2.csv', FIXTURE_ROWS.slice(0, 3));
      const v3 = writePlan(tmp.dir, 'v3.csv', FIXTURE_ROWS);
      await expect(rollbackPlan(h.db)).rejects.toThrow('nothing to roll back: no numbering plan has been imported');
      const s1 = await importPlan({ db: h.db, files: [v1], mapping, now: NOW });
      const s2 = await importPlan({ db: h.db, files: [v2], mapping, now: NOW + 1000 });
      const s3 = await importPlan({ db: h.db, files: [v3], mapping, now: NOW + 2000 });
      const history = await planHistory(h.db);
      expect(history.map((v) => [v.id, v.active, v.rows])).toEqual([[s3.version.id, true, 5], [s2.version.id, false, 3], [s1.version.id, false, 2]]);

      expect((await lookupAll(h.db, ['79261234567']))[0]!.key).toBe('megafon');
      const r1 = await rollbackPlan(h.db);
      expect([r1.from.id, r1.to.id]).toEqual([s3.version.id, s2.version.id]);
      expect((await lookupAll(h.db, ['79520000050']))[0]!.source).toBe('unknown');
      const r2 = await rollbackPlan(h.db);
      expect(r2.to.id).toBe(s1.version.id);
      expect((await lookupAll(h.db, ['79261234567']))[0]!.source).toBe('unknown');
      expect((await lookupAll(h.db, ['79151500000']))[0]!.key).toBe('mts');
      const err = await rollbackPlan(h.db).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NothingToRollBackError);
      expect((err as Error).message).toBe(`nothing to roll back: version ${s1.version.id} is the oldest imported plan`);
      expect((await planHistory(h.db)).find((v) => v.active)!.id).toBe(s1.version.id);
    });

    it('stores the ported set as a chunked snapshot that loads back identically, keeping only the latest data', async () => {
      const b = new PortedSetBuilder();
      for (let i = 0; i < 5000; i++) b.add(9_260_000_000 + i * 37, i % 3 === 0 ? 'mMTS' : 'mTELE2');
      const set = b.build().set;
      const repo = new PortedRepository(h.db, 4096);
      const first = await repo.save(set.encode(), { importedAt: NOW, mode: 'full', file: 'Port_All.csv', sha256: 'a'.repeat(64), rows: 5000, numbers: set.size });
      expect(first.bytes).toBeGreaterThan(4096 * 3);
      const loaded = await repo.loadActive();
      const copy = PortedSet.decode(loaded!.bytes);
      expect(copy.size).toBe(5000);
      expect(copy.ownerOf(9_260_000_000 + 37 * 3)).toBe('mMTS');
      expect(copy.ownerOf(9_260_000_000 + 37 * 4)).toBe('mTELE2');
      expect(copy.ownerOf(9_260_000_001)).toBeNull();

      const second = await repo.save(PortedSet.EMPTY.apply([{ number: 9_000_000_001, owner: 'mMTS' }]).set.encode(), {
        importedAt: NOW + 1, mode: 'increment', file: 'inc.csv', sha256: 'b'.repeat(64), rows: 1, numbers: 1,
      });
      expect((await repo.activeMeta())!.id).toBe(second.id);
      expect((await repo.history()).map((m) => [m.id, m.active, m.mode])).toEqual([[second.id, true, 'increment'], [first.id, false, 'full']]);
      const chunks = await h.db('ported_snapshot_chunks').where({ snapshot_id: first.id }).count({ n: '*' });
      expect(Number(chunks[0]!.n)).toBe(0);
      expect(PortedSet.decode((await repo.loadActive())!.bytes).size).toBe(1);
    });

    it('reads one code of the stored ported set without the rest: the same owners, a fraction of the bytes', async () => {
      const b = new PortedSetBuilder();
      const codes = [903, 915, 926, 999];
      for (const code of codes) for (let i = 0; i < 3000; i++) b.add(code * 1e7 + i * 101, `m${code}-${i % 4}`);
      const whole = b.build().set;
      const repo = new PortedRepository(h.db, 4096);
      const meta = await repo.save(whole.encode(), { importedAt: NOW, mode: 'full', file: 'Port_All.csv', sha256: 'c'.repeat(64), rows: whole.size, numbers: whole.size });
      const reader = (await repo.activeReader())!;
      let bytesRead = 0;
      const counted = async (from: number, to: number) => {
        const part = await reader.read(from, to);
        bytesRead += part.length;
        return part;
      };
      const slice = await PortedSet.decodeCodes(counted, meta.bytes, [926]);
      expect(slice.size).toBe(3000);
      // Numbers of 926 at chunk boundaries and inside: the same owners as the whole set.
      for (const n of [9_260_000_000, 9_260_000_101, 9_260_101_000, 9_260_302_899, 9_260_000_001]) expect(slice.ownerOf(n)).toBe(whole.ownerOf(n));
      expect(slice.ownerOf(9_150_000_000)).toBeNull();
      expect(whole.ownerOf(9_150_000_000)).toBe('m915-0');
      expect(bytesRead).toBeLessThan(meta.bytes / 3);
      // Several codes, an absent code and the whole range of codes agree with the whole set.
      const all = await PortedSet.decodeCodes(reader.read, meta.bytes, [999, 100, 903, 915, 926]);
      expect(all.size).toBe(whole.size);
      expect(all.countByOwner()).toEqual(whole.countByOwner());
    });

    it('applies a ported import over the range in the lookup, and an increment on top of the stored set', async () => {
      await importPlan({ db: h.db, files: [writePlan(tmp.dir, 'p.csv', FIXTURE_ROWS)], mapping, now: NOW });
      const full = writeText(tmp.dir, 'Port_All_202601150000_1.csv', 'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n9261234567,mMTS,01,D2501,77,2025-01-01,2\n9151500000,mBEELINE,99,D9901,77,2025-01-02,\n');
      await importPorted({ db: h.db, file: full, mapping, now: NOW });
      const inc = writeText(tmp.dir, 'plain.csv', 'number;carrier\n79031234567;tele2\n');
      const summary = await importPorted({ db: h.db, file: inc, mapping, now: NOW + 1 });
      expect(summary).toMatchObject({ mode: 'increment', numbers: 3, added: 1 });
      const [a, b, c, d] = await lookupAll(h.db, ['79261234567', '79151500000', '79031234567', '79261234568']);
      expect(a).toMatchObject({ key: 'mts', source: 'ported', region: 'Город Москва, Московская область' });
      expect(b).toMatchObject({ key: 'beeline', source: 'ported' });
      expect(c).toMatchObject({ key: 'tele2', source: 'ported' });
      expect(d).toMatchObject({ key: 'megafon', source: 'range' });
    });
  });
}
