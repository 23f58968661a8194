import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCarrierMapping, parseCarriersConfig } from '../../../src/adapters/numbering-plan/carriers-config.ts';
import { CarrierMapping, CarriersConfigError } from '../../../src/core/numbering/carrier-mapping.ts';

const rulesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../rules');
// The shipped rules/carriers.yaml: these spellings come from the registry files of 2014–2026.
const shipped = loadCarrierMapping(rulesDir);

describe('shipped carriers.yaml', () => {
  it.each([
    ['ПАО "МТС"', 'mts'], ['ПАО "Мобильные ТелеСистемы"', 'mts'], ['Мобильные ТелеСистемы', 'mts'],
    ['ПАО "МЕГАФОН"', 'megafon'], ['ПАО "МегаФон"', 'megafon'], ['МегаФон', 'megafon'],
    ['ПАО "ВЫМПЕЛКОМ"', 'beeline'], ['ПАО "Вымпел-Коммуникации"', 'beeline'], ['Вымпел-Коммуникации', 'beeline'],
    ['ООО "Т2 МОБАЙЛ"', 'tele2'], ['ООО "Т2 Мобайл"', 'tele2'], ['АО "Теле2-Санкт-Петербург"', 'tele2'],
    ['ООО "Т-МОБ"', 'tinkoff-mobile'], ['ООО "Тинькофф Мобайл"', 'tinkoff-mobile'],
    ['ООО "СБЕРБАНК-ТЕЛЕКОМ"', 'sber-mobile'], ['ООО "Сбербанк-Телеком"', 'sber-mobile'],
    ['ООО "Скартел"', 'yota'], ['Скартел', 'yota'], ['ОАО "МТТ"', 'mtt'], ['ПАО "Ростелеком"', 'rostelecom'],
    ['АО "ГЛОНАСС"', 'glonass'],
  ])('maps the spelling %s without an INN to %s', (name, key) => {
    expect(shipped.carrierOf(name, null)).toBe(key);
  });

  it('maps by INN first, whatever the name says', () => {
    expect(shipped.carrierOf('ООО "Новое имя"', '7743895280')).toBe('tele2');
    expect(shipped.carrierOf('ПАО "МТС"', '7812014560')).toBe('megafon');
  });

  it('does not match a name that merely contains a carrier name', () => {
    expect(shipped.carrierOf('ООО "АМТС-Сервис"', null)).toBeNull();
    expect(shipped.carrierOf('ООО "ТМТ"', '1655327859')).toBeNull();
  });

  it('routes virtual operators on-net through their host network, others through themselves', () => {
    expect(shipped.onNetOf('sber-mobile')).toBe('tele2');
    expect(shipped.onNetOf('yota')).toBe('megafon');
    expect(shipped.onNetOf('rostelecom')).toBe('tele2');
    expect(shipped.onNetOf('mts')).toBe('mts');
    expect(shipped.onNetOf(null)).toBeNull();
  });

  it('maps БДПН owner ids, carrier keys and old-feed operator names', () => {
    expect(shipped.carrierOfOwner('mMEGAFON')).toBe('megafon');
    expect(shipped.carrierOfOwner('mtele2')).toBe('tele2');
    expect(shipped.carrierOfOwner('beeline')).toBe('beeline');
    expect(shipped.carrierOfOwner('ПАО "Мобильные ТелеСистемы"')).toBe('mts');
    expect(shipped.carrierOfOwner('mUNKNOWN')).toBeNull();
  });
});

describe('carriers.yaml validation', () => {
  it('names the path of an invalid entry', () => {
    expect(() => parseCarriersConfig('carriers:\n  mts:\n    inn: ["12"]\n')).toThrow(/carriers\.mts\.inn\.0: an INN has 10 or 12 digits/);
    expect(() => parseCarriersConfig('carriers: {}\nextra: 1\n')).toThrow(CarriersConfigError);
  });

  it('quotes the offending value, and reports broken YAML on one line with its position', () => {
    expect(() => parseCarriersConfig('carriers:\n  mts:\n    inn: ["12"]\n')).toThrow(/carriers\.mts\.inn\.0: an INN has 10 or 12 digits.* \(got "12"\)/);
    let message = '';
    try {
      parseCarriersConfig('carriers:\n  mts: [\n', 'rules/carriers.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^rules\/carriers\.yaml: not valid YAML: .* at line 3, column 1$/);
  });

  it('rejects on-net and owner targets that are not defined carriers', () => {
    expect(() => new CarrierMapping({ carriers: { mts: {} }, onNet: { mts: 'nope' } })).toThrow(/onNet\.mts: "nope" is not a carrier/);
    expect(() => new CarrierMapping({ carriers: { mts: {} }, portedOwners: { mX: 'nope' } })).toThrow(/portedOwners\.mX/);
  });

  it('rejects an INN listed under two carriers and a broken regular expression', () => {
    expect(() => new CarrierMapping({ carriers: { a: { inn: ['7740000076'] }, b: { inn: ['7740000076'] } } })).toThrow(/INN 7740000076 is listed under both "a" and "b"/);
    expect(() => new CarrierMapping({ carriers: { a: { names: ['(('] } } })).toThrow(/carriers\.a\.names: invalid regular expression/);
  });

  it('reports a missing carriers.yaml with its path', () => {
    expect(() => loadCarrierMapping('/nonexistent-dir')).toThrow(/\/nonexistent-dir\/carriers\.yaml: cannot read: ENOENT/);
  });
});
