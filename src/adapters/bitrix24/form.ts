/**
 * Bitrix24's form encoding: `application/x-www-form-urlencoded` with PHP-style bracketed keys
 * (`data[PHONE_NUMBER]=…`, `auth[application_token]=…`, `FILTER[UF_DEPARTMENT][]=5`). Every value
 * is a string. Parsed here by hand (not by a generic extended parser) so that the limits and the
 * refusal of prototype keys are ours.
 */

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 6;
const MAX_PAIRS = 2000;

export class FormError extends Error {}

function splitKey(key: string): string[] | null {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^[\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  let end = open;
  while ((m = re.exec(key)) !== null) {
    parts.push(m[1] ?? '');
    end = re.lastIndex;
  }
  // Trailing garbage after the brackets (e.g. `a[b]c`): keep the key flat rather than guess.
  if (end !== key.length) return [key];
  return parts;
}

function isObject(v: FormValue | undefined): v is FormObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a raw form body into nested objects; `a[]` appends to an array. */
export function parseBracketForm(body: string): FormObject {
  const out: FormObject = {};
  const params = new URLSearchParams(body);
  let pairs = 0;
  for (const [rawKey, value] of params) {
    if (++pairs > MAX_PAIRS) throw new FormError(`form body has more than ${MAX_PAIRS} fields`);
    const path = splitKey(rawKey);
    if (!path || path[0] === '') continue;
    if (path.length > MAX_DEPTH) throw new FormError(`form key "${rawKey.slice(0, 80)}" is nested deeper than ${MAX_DEPTH}`);
    if (path.some((p) => FORBIDDEN.has(p))) throw new FormError(`form key "${rawKey.slice(0, 80)}" is not allowed`);
    let node: FormObject | FormValue[] = out;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as string;
      const last = i === path.length - 1;
      if (Array.isArray(node)) {
        if (last) node.push(value);
        else {
          const child: FormObject = {};
          node.push(child);
          node = child;
        }
        continue;
      }
      if (last) {
        if (seg === '') throw new FormError(`form key "${rawKey.slice(0, 80)}" has an empty name`);
        node[seg] = value;
        break;
      }
      const nextIsPush = path[i + 1] === '';
      const existing: FormValue | undefined = node[seg];
      if (nextIsPush) {
        if (!Array.isArray(existing)) node[seg] = [];
        node = node[seg] as FormValue[];
        // the '' segment itself is consumed by the array branch on the next turn
      } else {
        if (!isObject(existing)) node[seg] = {};
        node = node[seg] as FormObject;
      }
    }
  }
  return out;
}

function flatten(prefix: string, value: unknown, out: URLSearchParams): void {
  if (value === undefined) return;
  if (value === null) {
    out.append(prefix, '');
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(`${prefix}[${i}]`, v, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(`${prefix}[${k}]`, v, out);
  } else if (typeof value === 'boolean') {
    out.append(prefix, value ? '1' : '0');
  } else {
    out.append(prefix, String(value as string | number));
  }
}

/** Encodes an object as Bitrix24 posts it: `data%5BPHONE_NUMBER%5D=…` (key order kept). */
export function encodeBracketForm(fields: Record<string, unknown>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) flatten(k, v, out);
  return out.toString();
}
