import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCarrierMapping } from '../../src/adapters/numbering-plan/carriers-config.ts';
import { renderPlanFile, type PlanFileStyle, type SampleRow } from '../../src/adapters/numbering-plan/sample.ts';

export const RULES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../rules');
export const mapping = loadCarrierMapping(RULES_DIR);

const moscow = { region: 'Город Москва, Московская область', registryRegion: 'г. Москва и Московская область' };

/** A small plan with the spellings that matter: bare quotes, «», a single-number range. */
export const FIXTURE_ROWS: readonly SampleRow[] = [
  { code: 903, from: 0, to: 999_999, operator: 'ПАО "Вымпел-Коммуникации"', inn: '7713076301', ...moscow },
  { code: 915, from: 1_000_000, to: 1_999_999, operator: 'ПАО "Мобильные ТелеСистемы"', inn: '7740000076', ...moscow },
  { code: 926, from: 0, to: 4_999_999, operator: 'ПАО "МегаФон"', inn: '7812014560', ...moscow },
  { code: 926, from: 5_000_000, to: 5_000_000, operator: 'ООО «ТМТ»', inn: '1655327859', region: 'Республика Татарстан', registryRegion: 'Республика Татарстан' },
  { code: 952, from: 0, to: 99, operator: 'ООО "Т2 Мобайл"', inn: '7743895280', region: 'Краснодарский край', registryRegion: 'Краснодарский край' },
];

export function tempDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-numbering-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function writePlan(dir: string, name: string, rows: readonly SampleRow[], style: PlanFileStyle = 'current-8col'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, renderPlanFile(rows, style));
  return file;
}

export function writeText(dir: string, name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

export const HEADER_8 = 'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН';
