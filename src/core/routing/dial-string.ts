import type { NumberFormat } from '../rules/model.ts';

/** The macros a trunk's dial template may use, filled per call. */
export const DIAL_MACROS = ['number', 'e164', 'digits', 'trunk'] as const;
export type DialMacro = (typeof DIAL_MACROS)[number];

/**
 * Macros filled from the trunk's own settings (`host`, `port`, `server` in trunks.yaml), as the
 * AutoCall-style `+{number}@{host}:{port}` templates use them; they become literal text at load.
 */
export const TRUNK_SETTING_MACROS = ['host', 'port', 'server'] as const;
export type TrunkSettingMacro = (typeof TRUNK_SETTING_MACROS)[number];
export type TrunkDialSettings = Readonly<Partial<Record<TrunkSettingMacro, string | number | null>>>;

/** Every macro name a dial template may use, as the rules check lists them. */
export const ALL_DIAL_MACROS: readonly string[] = [...DIAL_MACROS, ...TRUNK_SETTING_MACROS];

/** A dial template split once at load into literal text and macros, so dialling only concatenates. */
export type DialTemplate = readonly (string | { readonly macro: DialMacro })[];

const MACRO = /\{([^{}]*)\}/g;

/**
 * Parses `PJSIP/{number}@gw-mts`; `{host}`, `{port}`, `{server}` are filled from `settings` here.
 * Returns the unknown macro names, and the setting macros whose setting is missing, when there are any.
 */
export function parseDialTemplate(template: string, settings: TrunkDialSettings = {}):
  { ok: true; template: DialTemplate } | { ok: false; unknown: string[]; missing: TrunkSettingMacro[] } {
  const parts: (string | { macro: DialMacro })[] = [];
  const unknown: string[] = [];
  const missing: TrunkSettingMacro[] = [];
  const text = (t: string): void => {
    // Adjacent literals are joined, so a filled-in setting costs nothing per call.
    if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += t;
    else parts.push(t);
  };
  let last = 0;
  for (const m of template.matchAll(MACRO)) {
    const name = m[1] ?? '';
    if (m.index > last) text(template.slice(last, m.index));
    if ((DIAL_MACROS as readonly string[]).includes(name)) parts.push({ macro: name as DialMacro });
    else if ((TRUNK_SETTING_MACROS as readonly string[]).includes(name)) {
      const value = settings[name as TrunkSettingMacro];
      if (value === undefined || value === null || value === '') missing.push(name as TrunkSettingMacro);
      else text(String(value));
    } else unknown.push(name);
    last = m.index + m[0].length;
  }
  if (last < template.length) text(template.slice(last));
  return unknown.length > 0 || missing.length > 0 ? { ok: false, unknown, missing } : { ok: true, template: parts };
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
