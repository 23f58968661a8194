import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { derived, useDerivedCache } from '../../../src/config/derived-cache.ts';

describe('derived values kept between processes', () => {
  const dirs: string[] = [];
  const cacheDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-derived-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('computes once for the same inputs and build; new inputs or a new build compute again', () => {
    useDerivedCache(cacheDir(), 'build-1');
    let runs = 0;
    const compute = (n: number) => () => {
      runs++;
      return { trunks: [{ id: 'a', weight: n }], name: 'Отдел продаж' };
    };
    expect(derived('rules', 'text A', compute(1))).toEqual({ trunks: [{ id: 'a', weight: 1 }], name: 'Отдел продаж' });
    expect(derived('rules', 'text A', compute(2))).toEqual({ trunks: [{ id: 'a', weight: 1 }], name: 'Отдел продаж' });
    expect(runs).toBe(1);
    expect(derived('rules', 'text B', compute(3))).toEqual({ trunks: [{ id: 'a', weight: 3 }], name: 'Отдел продаж' });
    useDerivedCache(dirs[0]!, 'build-2');
    derived('rules', 'text B', compute(4));
    expect(runs).toBe(3);
  });

  it('an entry kept for other inputs under the same name is not used', () => {
    const dir = cacheDir();
    useDerivedCache(dir, 'build-1');
    derived('rules', 'text A', () => ({ n: 1 }));
    const [name] = fs.readdirSync(dir);
    const file = path.join(dir, name!);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; value: unknown };
    fs.writeFileSync(file, JSON.stringify({ key: entry.key.replace('text A', 'text Z'), value: { n: 99 } }));
    expect(derived('rules', 'text A', () => ({ n: 2 }))).toEqual({ n: 2 });
  });

  it('keeps no value that JSON would change, and no failure', () => {
    useDerivedCache(cacheDir(), 'build-1');
    let runs = 0;
    const withUndefined = () => {
      runs++;
      return { limits: undefined, n: runs };
    };
    derived('rules', 'x', withUndefined);
    expect(derived('rules', 'x', withUndefined)).toEqual({ limits: undefined, n: 2 });
    expect(() => derived('rules', 'y', () => {
      throw new Error('trunks.yaml: bad');
    })).toThrow('trunks.yaml: bad');
    expect(derived('rules', 'y', () => null)).toBeNull();
    expect(derived('rules', 'y', () => ({ ok: 1 }))).toEqual({ ok: 1 });
  });

  it('a cache directory that cannot be written only costs the computation', () => {
    const file = path.join(cacheDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    useDerivedCache(path.join(file, 'derived'), 'build-1');
    let runs = 0;
    derived('rules', 'x', () => ++runs);
    expect(derived('rules', 'x', () => ++runs)).toBe(2);
  });
});
