import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCarrierMapping } from '../../../src/adapters/numbering-plan/carriers-config.ts';
import { CarrierIndexStore } from '../../../src/app/numbering/carrier-index-store.ts';
import { importPlan } from '../../../src/app/numbering/import-plan.ts';
import { FIXTURE_ROWS, mapping, RULES_DIR, tempDir, writePlan } from '../../contracts/numbering-fixtures.ts';
import { tempSqliteDb } from '../../support/db.ts';

describe('CarrierIndexStore', () => {
  let t: Awaited<ReturnType<typeof tempSqliteDb>>;
  const tmp = tempDir();
  beforeAll(async () => {
    t = await tempSqliteDb();
    await importPlan({ db: t.db, files: [writePlan(tmp.dir, 'DEF.csv', FIXTURE_ROWS)], mapping, now: 1 });
  });
  afterAll(async () => {
    await t.close();
    tmp.remove();
  });

  it('answers unknown before the first reload, then from the database', async () => {
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping, now: () => 42 });
    expect(store.current().lookup('79261234567').source).toBe('unknown');
    const state = await store.reload();
    expect(state).toMatchObject({ ranges: 5, portedNumbers: 0, loadedAt: 42 });
    expect(store.current().lookup('79261234567').key).toBe('megafon');
  });

  it('swaps in one step: a lookup object taken before a reload keeps answering from the old index', async () => {
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => mapping });
    await store.reload();
    const before = store.current();
    const pending = store.reload();
    // While the rebuild runs, readers still get the complete old index.
    expect(store.current()).toBe(before);
    expect(store.current().lookup('79261234567').key).toBe('megafon');
    await pending;
    // Identity compared directly: a failed `toBe` makes vitest deep-compare two whole indexes
    // (its "use toStrictEqual" hint), which takes seconds of CPU and nearly timed the test out.
    expect(store.current() === before).toBe(false);
    expect(before.lookup('79261234567').key).toBe('megafon');
  });

  const original = fs.readFileSync(path.join(RULES_DIR, 'carriers.yaml'), 'utf8');
  const withTmt = (text: string): string => text.replace('  mgts:\n', '  tmt:\n    inn: ["1655327859"]\n  mgts:\n');
  /** A rules directory whose carriers.yaml also maps ООО «ТМТ» (INN 1655327859) to `tmt`. */
  function withTmtRules(): string {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'rules-tmt-'));
    fs.writeFileSync(path.join(dir, 'carriers.yaml'), withTmt(original));
    return dir;
  }

  it('re-maps operators from an edited carriers.yaml on reload, without re-import', async () => {
    const rules = path.join(tmp.dir, 'rules');
    fs.mkdirSync(rules);
    fs.writeFileSync(path.join(rules, 'carriers.yaml'), original);
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => loadCarrierMapping(rules) });
    await store.reload();
    expect(store.current().lookup('79265000000').key).toBeNull();
    fs.writeFileSync(path.join(rules, 'carriers.yaml'), withTmt(original));
    await store.reload();
    expect(store.current().lookup('79265000000').key).toBe('tmt');
  });

  it('runs one more rebuild for a reload requested while a rebuild is running, so the later change is not lost', async () => {
    const withTmt = loadCarrierMapping(withTmtRules());
    let current = mapping;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let calls = 0;
    const store = new CarrierIndexStore({
      db: t.db,
      loadMapping: async () => {
        calls++;
        const seen = current;
        // The first rebuild has read the configuration and is still running when it changes.
        if (calls === 1) await gate;
        return seen;
      },
    });
    const first = store.reload();
    current = withTmt;
    const second = store.reload();
    const third = store.reload();
    release();
    await first;
    await Promise.all([second, third]);
    expect(calls).toBe(2);
    expect(store.current().lookup('79265000000').key).toBe('tmt');
  });

  it('keeps the old index when a reload fails (a broken carriers.yaml)', async () => {
    let broken = false;
    const store = new CarrierIndexStore({
      db: t.db,
      loadMapping: () => {
        if (broken) throw new Error('carriers.yaml: not valid YAML');
        return mapping;
      },
    });
    await store.reload();
    broken = true;
    await expect(store.reload()).rejects.toThrow('not valid YAML');
    expect(store.current().lookup('79261234567').key).toBe('megafon');
  });
});
