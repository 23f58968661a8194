import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { PlanRow } from '../../core/numbering/plan-row.ts';

/**
 * Writers for registry files in every layout the importer accepts, and the synthetic sample
 * plan shipped in carrier-db/ (plausible, not official: real files are downloaded by the admin).
 */
export type PlanFileStyle =
  /** Current: 8 columns, UTF-8 with BOM, LF, no final newline, zero-padded. */
  | 'current-8col'
  /** 2023 re-saved by Excel: 7 columns, BOM, leading zeros stripped, RFC-4180 quoting. */
  | 'excel-7col'
  /** 2020: 6 columns, UTF-8 without BOM, LF, no final newline. */
  | 'utf8-6col'
  /** 2014: 6 columns, windows-1251, no zero padding, CRLF. */
  | 'cp1251-6col';

export interface SampleRow extends PlanRow {
  /** Registry-style region (`Регион`), the GAR name goes to `region`. */
  readonly registryRegion?: string;
}

const HEADERS: Record<PlanFileStyle, string> = {
  'current-8col': 'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
  'excel-7col': 'АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН',
  'utf8-6col': 'АВС/ DEF;От;До;Емкость;Оператор;Регион',
  'cp1251-6col': 'АВС/ DEF;От;До;Емкость;Оператор;Регион',
};

const pad7 = (n: number): string => String(n).padStart(7, '0');
const rfcQuote = (s: string): string => (/[";\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function renderRow(r: SampleRow, style: PlanFileStyle): string {
  const cap = r.to - r.from + 1;
  const region = r.registryRegion ?? r.region ?? '-';
  switch (style) {
    case 'current-8col':
      return [r.code, pad7(r.from), pad7(r.to), cap, r.operator, region, r.region ?? '-', r.inn ?? ''].join(';');
    case 'excel-7col':
      return [r.code, r.from, r.to, cap, rfcQuote(r.operator), rfcQuote(region), r.inn ?? ''].join(';');
    case 'utf8-6col':
      return [r.code, pad7(r.from), pad7(r.to), cap, r.operator, region].join(';');
    case 'cp1251-6col':
      return [r.code, r.from, r.to, cap, r.operator, region].join(';');
  }
}

/** Renders rows as the bytes of a registry file in the given style. */
export function renderPlanFile(rows: readonly SampleRow[], style: PlanFileStyle): Buffer {
  const lines = [HEADERS[style], ...rows.map((r) => renderRow(r, style))];
  switch (style) {
    case 'current-8col':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\n'), 'utf8')]);
    case 'excel-7col':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\n')}\n`, 'utf8')]);
    case 'utf8-6col':
      return Buffer.from(lines.join('\n'), 'utf8');
    case 'cp1251-6col':
      return iconv.encode(`${lines.join('\r\n')}\r\n`, 'win1251');
  }
}

// Real INNs of the big operators (as in the registry), so carriers.yaml maps the sample by INN.
const OPERATORS = {
  mts: { operator: 'ПАО "МТС"', inn: '7740000076' },
  megafon: { operator: 'ПАО "МЕГАФОН"', inn: '7812014560' },
  beeline: { operator: 'ПАО "ВЫМПЕЛКОМ"', inn: '7713076301' },
  tele2: { operator: 'ООО "Т2 МОБАЙЛ"', inn: '7743895280' },
  tinkoff: { operator: 'ООО "Т-МОБ"', inn: '7743200179' },
  sber: { operator: 'ООО "СБЕРБАНК-ТЕЛЕКОМ"', inn: '7736264044' },
  vtb: { operator: 'ООО "ВТБ МОБАЙЛ"', inn: '9705121882' },
  yota: { operator: 'ООО "Скартел"', inn: '7701725181' },
  glonass: { operator: 'АО "ГЛОНАСС"', inn: '7703383783' },
  mtt: { operator: 'АО "МТТ"', inn: '7705017253' },
  rostelecom: { operator: 'ПАО "Ростелеком"', inn: '7707049388' },
  mgts: { operator: 'ПАО МГТС', inn: '7710016640' },
  tmt: { operator: 'ООО «ТМТ»', inn: '1655327859' },
} as const;

type Op = keyof typeof OPERATORS;

const REGIONS: readonly (readonly [string, string])[] = [
  ['г. Москва и Московская область', 'Город Москва, Московская область'],
  ['г. Санкт-Петербург и Ленинградская область', 'Город Санкт-Петербург, Ленинградская область'],
  ['Краснодарский край', 'Краснодарский край'],
  ['Свердловская обл.', 'Свердловская область'],
  ['Новосибирская обл.', 'Новосибирская область'],
];

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Who holds each sample DEF code (the well-known assignments; real codes are split further). */
const DEF_CODES: readonly (readonly [Op, readonly number[]])[] = [
  ['beeline', [903, 905, 906, 909, ...range(960, 968)]],
  ['mts', [...range(910, 919), ...range(980, 989)]],
  ['megafon', [...range(920, 939)]],
  ['tele2', [900, 901, 902, 904, 908, 950, 951, 952, 953, 977, ...range(991, 999)]],
  ['tinkoff', [958]],
  ['glonass', [941]],
];

/** Blocks inside a code that belong to someone else than the code's main holder: [code, from, to, operator]. */
const SPLITS: readonly (readonly [number, number, number, Op])[] = [
  [902, 8_000_000, 8_999_999, 'sber'],
  [902, 9_000_000, 9_999_999, 'vtb'],
  [999, 8_000_000, 9_999_999, 'yota'],
  [977, 6_000_000, 6_999_999, 'mtt'],
  [977, 7_000_000, 7_000_000, 'tmt'],
  [977, 7_000_001, 7_009_999, 'tinkoff'],
];

function row(code: number, from: number, to: number, op: Op, regionIdx: number): SampleRow {
  const [registryRegion, gar] = REGIONS[regionIdx % REGIONS.length]!;
  return { code, from, to, ...OPERATORS[op], region: gar, registryRegion };
}

/**
 * The sample DEF plan: each code in five blocks of 2,000,000 numbers, one region per block
 * (block 0 is Moscow), some blocks split off to virtual and small operators.
 */
export function sampleDefRows(): SampleRow[] {
  const rows: SampleRow[] = [];
  const codes = DEF_CODES.flatMap(([op, list]) => list.map((code) => [code, op] as const)).sort((a, b) => a[0] - b[0]);
  for (const [code, op] of codes) {
    for (let block = 0; block < 5; block++) {
      const start = block * 2_000_000;
      const end = start + 1_999_999;
      const splits = SPLITS.filter(([c, f]) => c === code && f >= start && f <= end);
      let at = start;
      for (const [, f, t, splitOp] of splits) {
        if (f > at) rows.push(row(code, at, f - 1, op, block));
        rows.push(row(code, f, t, splitOp, block));
        at = t + 1;
      }
      if (at <= end) rows.push(row(code, at, end, op, block));
    }
  }
  return rows;
}

/** A few Moscow landline ranges in codes 495 and 499. */
export function sampleAbc4Rows(): SampleRow[] {
  return [
    row(495, 1_000_000, 1_999_999, 'mgts', 0),
    row(495, 2_000_000, 2_099_999, 'rostelecom', 0),
    row(495, 2_100_000, 2_109_999, 'mtt', 0),
    row(495, 6_000_000, 6_099_999, 'beeline', 0),
    row(495, 7_000_000, 7_009_999, 'mts', 0),
    row(499, 1_000_000, 1_999_999, 'mgts', 0),
    row(499, 3_000_000, 3_049_999, 'megafon', 0),
    row(499, 7_000_000, 7_000_000, 'tmt', 0),
  ];
}

/** `number;carrier`: a handful of ported numbers (each now with another carrier than its range). */
export const SAMPLE_PORTED = [
  ['79261234000', 'mts'],
  ['79151234000', 'megafon'],
  ['79031234000', 'tele2'],
  ['79521234000', 'beeline'],
  ['79161234001', 'sber-mobile'],
] as const;

/** Writes carrier-db/: sample-DEF-9xx.csv, sample-ABC-4xx.csv, sample-ported.csv. */
export function writeSampleCarrierDb(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = [
    [path.join(dir, 'sample-DEF-9xx.csv'), renderPlanFile(sampleDefRows(), 'current-8col')],
    [path.join(dir, 'sample-ABC-4xx.csv'), renderPlanFile(sampleAbc4Rows(), 'current-8col')],
    [path.join(dir, 'sample-ported.csv'), Buffer.from(`number;carrier\n${SAMPLE_PORTED.map(([n, c]) => `${n};${c}`).join('\n')}\n`, 'utf8')],
  ] as const;
  for (const [file, bytes] of files) fs.writeFileSync(file, bytes);
  return files.map(([f]) => f);
}
