import { describe, expect, it } from 'vitest';
import { PortedSetBuilder } from '../../../src/core/numbering/ported-builder.ts';
import { PortedSet } from '../../../src/core/numbering/ported-set.ts';

function setOf(rows: [number, string][]): PortedSet {
  const b = new PortedSetBuilder();
  for (const [n, o] of rows) b.add(n, o);
  return b.build().set;
}

describe('PortedSetBuilder', () => {
  it('builds a set whatever the input order, across codes', () => {
    const set = setOf([[9_991_000_000, 'mMTS'], [9_000_000_001, 'mTELE2'], [9_260_000_000, 'mMTS'], [9_000_000_000, 'mBEELINE']]);
    expect(set.size).toBe(4);
    expect(set.ownerOf(9_000_000_000)).toBe('mBEELINE');
    expect(set.ownerOf(9_000_000_001)).toBe('mTELE2');
    expect(set.ownerOf(9_991_000_000)).toBe('mMTS');
    expect(set.ownerOf(9_260_000_001)).toBeNull();
  });

  it('keeps one entry for a number listed twice and counts the duplicate', () => {
    const b = new PortedSetBuilder();
    b.add(9_260_000_000, 'mMTS');
    b.add(9_260_000_000, 'mMTS');
    const { set, duplicates } = b.build();
    expect(set.size).toBe(1);
    expect(duplicates).toBe(1);
  });
});

describe('PortedSet.apply', () => {
  const base = setOf([[9_260_000_000, 'mMTS'], [9_260_000_005, 'mTELE2'], [9_150_000_000, 'mMEGAFON']]);

  it('adds, changes and removes numbers, last change winning, without touching the original', () => {
    const { set, added, updated, removed } = base.apply([
      { number: 9_260_000_001, owner: 'mBEELINE' },
      { number: 9_260_000_005, owner: 'mMEGAFON' },
      { number: 9_150_000_000, owner: null },
      { number: 9_990_000_000, owner: 'mMTS' },
      { number: 9_990_000_000, owner: 'mTELE2' },
      { number: 9_000_000_000, owner: null },
    ]);
    expect({ added, updated, removed }).toEqual({ added: 2, updated: 1, removed: 1 });
    expect(set.size).toBe(4);
    expect(set.ownerOf(9_260_000_001)).toBe('mBEELINE');
    expect(set.ownerOf(9_260_000_005)).toBe('mMEGAFON');
    expect(set.ownerOf(9_150_000_000)).toBeNull();
    expect(set.ownerOf(9_990_000_000)).toBe('mTELE2');
    expect(base.ownerOf(9_150_000_000)).toBe('mMEGAFON');
  });

  it('counts numbers per owner', () => {
    expect(Object.fromEntries(base.countByOwner())).toEqual({ mMTS: 1, mTELE2: 1, mMEGAFON: 1 });
  });
});

describe('snapshot encoding', () => {
  it('round-trips through bytes, also from an unaligned buffer', () => {
    const set = setOf([[9_260_000_000, 'mMTS'], [9_261_234_567, 'ПАО "МегаФон"'], [4_951_234_567, 'mMGTS']]);
    const bytes = set.encode();
    const unaligned = new Uint8Array(bytes.length + 1);
    unaligned.set(bytes, 1);
    for (const copy of [PortedSet.decode(bytes), PortedSet.decode(unaligned.subarray(1))]) {
      expect(copy.size).toBe(3);
      expect(copy.ownerOf(9_261_234_567)).toBe('ПАО "МегаФон"');
      expect(copy.ownerOf(4_951_234_567)).toBe('mMGTS');
    }
    expect(PortedSet.decode(PortedSet.EMPTY.encode()).size).toBe(0);
  });

  it('rejects truncated or foreign bytes', () => {
    const bytes = setOf([[9_260_000_000, 'mMTS']]).encode();
    expect(() => PortedSet.decode(bytes.subarray(0, bytes.length - 2))).toThrow(/expected \d+ bytes/);
    expect(() => PortedSet.decode(new Uint8Array(32))).toThrow(/bad magic/);
    expect(() => PortedSet.decode(new Uint8Array(3))).toThrow(/truncated header/);
  });
});
