import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { splitFields } from '../../../src/adapters/numbering-plan/csv-fields.ts';
import { detectEncoding } from '../../../src/adapters/numbering-plan/encoding.ts';
import { firstInvalidUtf8Line } from '../../../src/adapters/numbering-plan/line-reader.ts';
import { normaliseOperatorName } from '../../../src/core/numbering/operator-name.ts';

describe('splitFields', () => {
  it('keeps bare quotes inside official names', () => {
    expect(splitFields('926;1;2;2;ПАО "МегаФон";г. Москва')).toEqual(['926', '1', '2', '2', 'ПАО "МегаФон"', 'г. Москва']);
  });

  it('unquotes RFC-4180 fields of Excel re-saves, including doubled quotes and separators inside', () => {
    expect(splitFields('900;0;61999;62000;"ООО ""Т2 Мобайл""";"Москва; область";7743895280'))
      .toEqual(['900', '0', '61999', '62000', 'ООО "Т2 Мобайл"', 'Москва; область', '7743895280']);
  });

  it('takes a field that only starts with a quote literally', () => {
    expect(splitFields('"Т2" и партнёры;x')).toEqual(['"Т2" и партнёры', 'x']);
  });

  it('keeps «» and empty trailing fields', () => {
    expect(splitFields('301;1;1;1;ООО «ТМТ»;;')).toEqual(['301', '1', '1', '1', 'ООО «ТМТ»', '', '']);
  });
});

describe('detectEncoding', () => {
  it('reads UTF-8 with and without BOM as UTF-8', () => {
    expect(detectEncoding(Buffer.from('\uFEFFАВС/ DEF;От', 'utf8'))).toBe('utf-8');
    expect(detectEncoding(Buffer.from('АВС/ DEF;От', 'utf8'))).toBe('utf-8');
  });

  it('reads invalid UTF-8 (Cyrillic in windows-1251) as windows-1251', () => {
    expect(detectEncoding(iconv.encode('АВС/ DEF;От;До;Емкость', 'win1251'))).toBe('windows-1251');
  });

  it('does not mistake a sample cut in the middle of a UTF-8 character for windows-1251', () => {
    const bytes = Buffer.from('АВС/ DEF;От', 'utf8');
    expect(detectEncoding(bytes.subarray(0, bytes.length - 1))).toBe('utf-8');
  });
});

describe('normaliseOperatorName', () => {
  it.each([
    ['ПАО "МегаФон"', 'МЕГАФОН'],
    ['ООО «Т2 Мобайл»', 'Т2 МОБАЙЛ'],
    ['ПАО  "Вымпел-Коммуникации"', 'ВЫМПЕЛ-КОММУНИКАЦИИ'],
    ['Мобильные ТелеСистемы', 'МОБИЛЬНЫЕ ТЕЛЕСИСТЕМЫ'],
    ['ПАО МГТС', 'МГТС'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseOperatorName(input)).toBe(expected);
  });
});

describe('firstInvalidUtf8Line', () => {
  const utf = (t: string) => Buffer.from(t);
  it('finds the line of a windows-1251 row inside UTF-8 text', () => {
    const chunk = Buffer.concat([utf('Москва\nТверь\n'), iconv.encode('Связь\n', 'win1251'), utf('Омск\n')]);
    expect(firstInvalidUtf8Line(chunk)).toBe(2);
  });

  it('does not blame a character cut at either end of a chunk', () => {
    const whole = utf('Москва\nТверь');
    // Starts after the first byte of «М», ends in the middle of «ь».
    expect(firstInvalidUtf8Line(whole.subarray(1, whole.length - 1))).toBe(-1);
  });
});
