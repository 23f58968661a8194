import { describe, expect, it } from 'vitest';
import { detectPlanLayout } from '../../../src/core/numbering/plan-layout.ts';
import { kindOfCode, parsePlanRow } from '../../../src/core/numbering/plan-row.ts';

const H8 = ['\uFEFFАВС/ DEF', 'От', 'До', 'Емкость', 'Оператор', 'Регион', 'Территория ГАР', 'ИНН'];
const H7 = ['АВС/ DEF', 'От', 'До', 'Емкость', 'Оператор', 'Регион', 'ИНН'];
const H6 = ['АВС/ DEF', 'От', 'До', 'Емкость', 'Оператор', 'Регион'];

function layoutOf(header: string[]) {
  const r = detectPlanLayout(header);
  if (!r.ok) throw new Error(r.reason);
  return r.layout;
}

describe('detectPlanLayout', () => {
  it('recognises the current 8-column header with a BOM, and finds ИНН and the GAR column', () => {
    const l = layoutOf(H8);
    expect(l).toMatchObject({ columns: 8, codeCol: 0, capacityCol: 3, operatorCol: 4, regionCol: 5, garCol: 6, innCol: 7 });
  });

  it('recognises the 2023 7-column and the 2014/2020 6-column layouts', () => {
    expect(layoutOf(H7)).toMatchObject({ columns: 7, innCol: 6, garCol: null });
    expect(layoutOf(H6)).toMatchObject({ columns: 6, innCol: null, garCol: null });
  });

  it('does not depend on the exact spelling: Latin ABC, other spacing and case, ё', () => {
    expect(layoutOf(['ABC/DEF', ' от ', 'ДО', 'Ёмкость', 'Оператор связи', 'Регион']).columns).toBe(6);
  });

  it('rejects a header without the marker columns, naming what is missing', () => {
    const r = detectPlanLayout(['Number', 'OwnerId', 'MNC']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/unknown layout.*"Емкость"/);
  });

  it('rejects a column count that does not fit the markers (7 columns without ИНН)', () => {
    const r = detectPlanLayout([...H6, 'Примечание']);
    expect(!r.ok && r.reason).toMatch(/unknown layout: 7 columns without "ИНН"/);
  });
});

describe('parsePlanRow', () => {
  const l8 = layoutOf(H8);
  const l7 = layoutOf(H7);
  const good = ['926', '1000000', '1999999', '1000000', 'ПАО "МегаФон"', 'г. Москва', 'Город Москва, Московская область', '7812014560'];

  it('reads a current row, preferring the GAR territory as the region', () => {
    const r = parsePlanRow(good, l8);
    expect(r).toEqual({ ok: true, row: { code: 926, from: 1_000_000, to: 1_999_999, operator: 'ПАО "МегаФон"', inn: '7812014560', region: 'Город Москва, Московская область' } });
  });

  it('accepts numbers with stripped leading zeros (Excel re-saves)', () => {
    const r = parsePlanRow(['900', '0', '61999', '62000', 'ООО "Т2 Мобайл"', 'Краснодарский край', '7743895280'], l7);
    expect(r.ok && r.row).toMatchObject({ from: 0, to: 61_999, region: 'Краснодарский край' });
  });

  it('falls back to "Регион" when the GAR territory is empty or "-"', () => {
    for (const gar of ['', '-', '  ']) {
      const r = parsePlanRow(good.map((v, i) => (i === 6 ? gar : v)), l8);
      expect(r.ok && r.row.region).toBe('г. Москва');
    }
  });

  it('treats "-" as no region', () => {
    const l6 = layoutOf(H6);
    const r = parsePlanRow(['900', '0', '9', '10', 'X', '-'], l6);
    expect(r.ok && r.row.region).toBeNull();
  });

  it.each([
    [{ 0: '92' }, /code "92" is not 3 digits/],
    [{ 1: '2000000', 2: '1999999', 3: '0' }, /"От" 2000000 is greater than "До" 1999999/],
    [{ 3: '999999' }, /capacity mismatch: "Емкость" 999999 ≠ До − От \+ 1 = 1000000/],
    [{ 1: '12345678' }, /"От" "12345678" is not a number of at most 7 digits/],
    [{ 7: '12345' }, /"ИНН" "12345" is not 10 or 12 digits/],
    [{ 4: '  ' }, /empty "Оператор"/],
  ])('rejects %o with a reason naming the field', (patch, reason) => {
    const fields = good.map((v, i) => (patch as Record<number, string>)[i] ?? v);
    const r = parsePlanRow(fields, l8);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('rejects a row with the wrong number of fields', () => {
    const r = parsePlanRow(good.slice(0, 7), l8);
    expect(!r.ok && r.reason).toBe('expected 8 fields, got 7');
  });

  it('classifies DEF codes as mobile and ABC codes as landline', () => {
    expect([kindOfCode(926), kindOfCode(495), kindOfCode(301), kindOfCode(800), kindOfCode(700)]).toEqual(['mobile', 'landline', 'landline', 'landline', null]);
  });
});
