import type { NumberFormat } from '../rules/model.ts';

/** The macros a trunk's dial template may use. */
export const DIAL_MACROS = ['number', 'e164', 'digits', 'trunk'] as const;
export type DialMacro = (typeof DIAL_MACROS)[number];

/** A dial template split once at load into literal text and macros, so dialling only concatenates. */
export type DialTemplate = readonly (string | { readonly macro: DialMacro })[];

const MACRO = /\{([^{}]*)\}/g;

/** Parses `PJSIP/{number}@gw-mts`; returns the unknown macro names when there are any. */
export function parseDialTemplate(template: string): { ok: true; template: DialTemplate } | { ok: false; unknown: string[] } {
  const parts: (string | { macro: DialMacro })[] = [];
  const unknown: string[] = [];
  let last = 0;
  for (const m of template.matchAll(MACRO)) {
    const name = m[1] ?? '';
    if (m.index > last) parts.push(template.slice(last, m.index));
    if ((DIAL_MACROS as readonly string[]).includes(name)) parts.push({ macro: name as DialMacro });
    else unknown.push(name);
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return unknown.length > 0 ? { ok: false, unknown } : { ok: true, template: parts };
}

/**
 * The number in the form a trunk wants. The +7 zone (Russia and Kazakhstan) is dialled
 * nationally as 8 + 10 digits; other countries as 810 + E.164 digits. `national-10` cannot carry
 * a number outside the +7 zone: null (the trunk is not usable for it).
 */
export function formatNumber(digits: string, format: NumberFormat): string | null {
  const zone7 = digits.length === 11 && digits.charCodeAt(0) === 55; /* '7' */
  switch (format) {
    case 'e164':
      return `+${digits}`;
    case 'e164-digits':
      return digits;
    case 'national-8':
      return zone7 ? `8${digits.slice(1)}` : `810${digits}`;
    case 'national-10':
      return zone7 ? digits.slice(1) : null;
  }
}

/** Fills a parsed template. `number` is the already formatted number (formatNumber). */
export function renderDial(template: DialTemplate, number: string, digits: string, trunk: string): string {
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') out += part;
    else if (part.macro === 'number') out += number;
    else if (part.macro === 'e164') out += `+${digits}`;
    else if (part.macro === 'digits') out += digits;
    else out += trunk;
  }
  return out;
}
