import { quoteBounded } from '../text/printable.ts';
import type { PlanLayout } from './plan-layout.ts';

/** One validated row of the registry: numbers `7 CCC FFFFFFF` … `7 CCC TTTTTTT`. */
export interface PlanRow {
  /** The 3-digit ABC/DEF code, 300–999. */
  readonly code: number;
  /** First and last 7-digit subscriber number within the code (leading zeros may be stripped in the file). */
  readonly from: number;
  readonly to: number;
  readonly operator: string;
  readonly inn: string | null;
  readonly region: string | null;
}

export type PlanRowResult = { readonly ok: true; readonly row: PlanRow } | { readonly ok: false; readonly reason: string };

const CODE = /^\d{3}$/;
// Re-saves strip leading zeros, so 1 to 7 digits.
const SUBSCRIBER = /^\d{1,7}$/;
const CAPACITY = /^\d{1,8}$/;

/**
 * Field caps with a wide margin over the real registry (longest seen: an operator of 138
 * characters, a ГАР territory of 234 listing a federal district's regions). The ИНН is capped by
 * its format: 10 or 12 digits.
 */
export const MAX_OPERATOR_CHARS = 256;
export const MAX_REGION_CHARS = 512;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function clean(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/** `-` and empty mean "no region"; the GAR territory wins when filled (it is the normalised name). */
function regionOf(fields: readonly string[], layout: PlanLayout): string | null {
  const gar = layout.garCol === null ? '' : clean(fields[layout.garCol]);
  if (gar !== '' && gar !== '-') return gar;
  const region = clean(fields[layout.regionCol]);
  return region === '' || region === '-' ? null : region;
}

/** Why a text field cannot be stored (too long, or holding control characters), or null. */
function textProblem(name: string, value: string, max: number): string | null {
  if (value.length > max) return `"${name}" is ${value.length} characters long, more than ${max}`;
  const control = CONTROL.exec(value);
  if (control) return `"${name}" holds a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  return null;
}

/** Validates one data row; the reason names the offending field and value (the caller adds file:line). */
export function parsePlanRow(fields: readonly string[], layout: PlanLayout): PlanRowResult {
  if (fields.length !== layout.columns) {
    return { ok: false, reason: `expected ${layout.columns} fields, got ${fields.length}` };
  }
  const codeText = clean(fields[layout.codeCol]);
  const fromText = clean(fields[layout.fromCol]);
  const toText = clean(fields[layout.toCol]);
  const capText = clean(fields[layout.capacityCol]);
  if (!CODE.test(codeText)) return { ok: false, reason: `code ${quoteBounded(codeText)} is not 3 digits` };
  if (!SUBSCRIBER.test(fromText)) return { ok: false, reason: `"От" ${quoteBounded(fromText)} is not a number of at most 7 digits` };
  if (!SUBSCRIBER.test(toText)) return { ok: false, reason: `"До" ${quoteBounded(toText)} is not a number of at most 7 digits` };
  if (!CAPACITY.test(capText)) return { ok: false, reason: `"Емкость" ${quoteBounded(capText)} is not a number` };
  const code = Number(codeText);
  const from = Number(fromText);
  const to = Number(toText);
  const capacity = Number(capText);
  if (from > to) return { ok: false, reason: `"От" ${fromText} is greater than "До" ${toText}` };
  if (capacity !== to - from + 1) {
    return { ok: false, reason: `capacity mismatch: "Емкость" ${capacity} ≠ До − От + 1 = ${to - from + 1}` };
  }
  const operator = clean(fields[layout.operatorCol]);
  if (operator === '') return { ok: false, reason: 'empty "Оператор"' };
  const operatorProblem = textProblem('Оператор', operator, MAX_OPERATOR_CHARS);
  if (operatorProblem) return { ok: false, reason: operatorProblem };
  let inn: string | null = null;
  if (layout.innCol !== null) {
    const innText = clean(fields[layout.innCol]);
    if (innText !== '' && innText !== '-') {
      if (!/^\d{10}(\d{2})?$/.test(innText)) return { ok: false, reason: `"ИНН" ${quoteBounded(innText)} is not 10 or 12 digits` };
      inn = innText;
    }
  }
  const region = regionOf(fields, layout);
  const regionProblem = region === null ? null : textProblem('Регион', region, MAX_REGION_CHARS);
  if (regionProblem) return { ok: false, reason: regionProblem };
  return { ok: true, row: { code, from, to, operator, inn, region } };
}

/** `mobile` for DEF codes 9xx, `landline` for ABC codes 3xx/4xx/8xx, null otherwise. */
export function kindOfCode(code: number): 'mobile' | 'landline' | null {
  const first = Math.floor(code / 100);
  if (first === 9) return 'mobile';
  if (first === 3 || first === 4 || first === 8) return 'landline';
  return null;
}
