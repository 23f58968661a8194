import { describe, expect, it } from 'vitest';
import { CarrierIndex, type PlanEntry } from '../../../src/core/numbering/carrier-index.ts';
import { CarrierMapping } from '../../../src/core/numbering/carrier-mapping.ts';
import { UNKNOWN_CARRIER, onNetCarrier } from '../../../src/core/numbering/carrier.ts';
import { PortedSetBuilder } from '../../../src/core/numbering/ported-builder.ts';
import { RangeIndex } from '../../../src/core/numbering/range-index.ts';

const mapping = new CarrierMapping({
  carriers: { mts: { inn: ['7740000076'] }, megafon: { inn: ['7812014560'] }, tele2: {}, 'sber-mobile': { inn: ['7736264044'] } },
  onNet: { 'sber-mobile': 'tele2' },
  portedOwners: { mMTS: 'mts', mTELE2: 'tele2' },
});

const entries: PlanEntry[] = [
  { operator: 'ПАО "МегаФон"', inn: '7812014560', region: 'Москва' },
  { operator: 'ПАО "МТС"', inn: '7740000076', region: 'Москва' },
  { operator: 'ООО "СБЕРБАНК-ТЕЛЕКОМ"', inn: '7736264044', region: null },
  { operator: 'ООО "Неизвестный"', inn: '1234567890', region: 'Тверь' },
];
const ranges = [
  { code: 926, from: 0, to: 4_999_999, entry: 0 },
  { code: 926, from: 5_000_000, to: 5_000_000, entry: 3 },
  { code: 926, from: 5_000_001, to: 9_999_999, entry: 1 },
  { code: 915, from: 1_000_000, to: 1_999_999, entry: 1 },
  { code: 900, from: 100, to: 199, entry: 2 },
  { code: 495, from: 1_000_000, to: 1_999_999, entry: 1 },
];

describe('CarrierIndex over ranges', () => {
  const index = CarrierIndex.build({ entries, ranges, mapping });

  it('finds the range holding a number, at both edges of the range', () => {
    expect(index.lookup('79260000000')).toMatchObject({ key: 'megafon', source: 'range', kind: 'mobile', inn: '7812014560', region: 'Москва' });
    expect(index.lookup('79264999999').key).toBe('megafon');
    expect(index.lookup('79265000001').key).toBe('mts');
    expect(index.lookup('79269999999').key).toBe('mts');
  });

  it('answers a single-number range and keeps an unmapped operator visible with a null key', () => {
    expect(index.lookup('79265000000')).toMatchObject({ key: null, operator: 'ООО "Неизвестный"', source: 'range', onNet: null });
  });

  it('is unknown in gaps between ranges and in codes without ranges', () => {
    expect(index.lookup('79150999999')).toBe(UNKNOWN_CARRIER);
    expect(index.lookup('79152000000')).toBe(UNKNOWN_CARRIER);
    expect(index.lookup('79001000000')).toBe(UNKNOWN_CARRIER);
  });

  it('is unknown for input that is not 11 Russian digits (foreign, Kazakhstan, short, malformed)', () => {
    for (const d of ['4420794609', '77011234567', '7926123456', '792612345678', '7926123456a', '', '89261234567']) {
      expect(index.lookup(d)).toBe(UNKNOWN_CARRIER);
    }
  });

  it('marks ABC numbers as landline with no on-net carrier (on-net is for mobile only)', () => {
    expect(index.lookup('74951234567')).toMatchObject({ key: 'mts', kind: 'landline', onNet: null });
  });

  it('gives the on-net gateway of a virtual operator separately from its own key', () => {
    const info = index.lookup('79000000150');
    expect(info).toMatchObject({ key: 'sber-mobile', onNet: 'tele2' });
    expect(onNetCarrier(info)).toBe('tele2');
    expect(index.lookup('79261234567').onNet).toBe('megafon');
  });

  it('returns the same frozen object for every number of a range (no allocation per lookup)', () => {
    const a = index.lookup('79261234567');
    expect(index.lookup('79261234568')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('CarrierIndex with ported numbers', () => {
  const builder = new PortedSetBuilder();
  builder.add(9_261_234_567, 'mMTS');
  builder.add(9_265_000_002, 'mTELE2');
  builder.add(9_991_234_567, 'mVENDOR');
  const ported = builder.build().set;
  const index = CarrierIndex.build({ entries, ranges, mapping, ported });

  it('lets an override win over the range, keeping the range region', () => {
    expect(index.lookup('79261234567')).toMatchObject({ key: 'mts', source: 'ported', operator: null, inn: null, region: 'Москва', kind: 'mobile', onNet: 'mts' });
    expect(index.lookup('79261234568')).toMatchObject({ key: 'megafon', source: 'range' });
    expect(index.lookup('79265000002')).toMatchObject({ key: 'tele2', source: 'ported' });
  });

  it('answers ported numbers outside any range, and unknown owners with a null key', () => {
    expect(index.lookup('79991234567')).toMatchObject({ key: null, source: 'ported', region: null });
  });
});

describe('RangeIndex', () => {
  it('rejects a code outside 000–999', () => {
    expect(() => RangeIndex.build([{ code: 1000, from: 0, to: 1, entry: 0 }])).toThrow(/outside 000–999/);
  });

  it('agrees with a linear scan on random ranges', () => {
    let seed = 42;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const list: { code: number; from: number; to: number; entry: number }[] = [];
    for (const code of [900, 901, 999]) {
      let at = 0;
      while (at < 10_000_000) {
        const size = 1 + rnd(300_000);
        if (rnd(3) > 0) list.push({ code, from: at, to: Math.min(9_999_999, at + size - 1), entry: list.length });
        at += size + rnd(50_000);
      }
    }
    const idx = RangeIndex.build([...list].reverse());
    for (let i = 0; i < 5000; i++) {
      const code = [900, 901, 999, 950][rnd(4)]!;
      const rest = rnd(10_000_000);
      const expected = list.find((r) => r.code === code && r.from <= rest && rest <= r.to)?.entry ?? -1;
      expect(idx.find(code, rest)).toBe(expected);
    }
  });
});
