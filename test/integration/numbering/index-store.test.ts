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
    expect(store.current()).not.toBe(before);
    expect(before.lookup('79261234567').key).toBe('megafon');
  });

  it('re-maps operators from an edited carriers.yaml on reload, without re-import', async () => {
    const rules = path.join(tmp.dir, 'rules');
    fs.mkdirSync(rules);
    const original = fs.readFileSync(path.join(RULES_DIR, 'carriers.yaml'), 'utf8');
    fs.writeFileSync(path.join(rules, 'carriers.yaml'), original);
    const store = new CarrierIndexStore({ db: t.db, loadMapping: () => loadCarrierMapping(rules) });
    await store.reload();
    expect(store.current().lookup('79265000000').key).toBeNull();
    fs.writeFileSync(path.join(rules, 'carriers.yaml'), original.replace('  mgts:\n', '  tmt:\n    inn: ["1655327859"]\n  mgts:\n'));
    await store.reload();
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
