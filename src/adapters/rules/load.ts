import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { NormalizeOptions } from '../../core/phone/normalize.ts';
import { checkRules, type RulesPart } from '../../core/rules/check.ts';
import { compileRules, type CompiledRules } from '../../core/rules/compile.ts';
import type { Department, Rules } from '../../core/rules/model.ts';
import { readCarrierKeys } from './carrier-keys.ts';
import { derived } from '../../config/derived-cache.ts';
import {
  callerIdsFileSchema, crmFileSchema, departmentsFileSchema, masksFileSchema, routingFileSchema, trunksFileSchema, usersFileSchema,
} from './schema.ts';
import { inboundFileSchema } from './inbound-schema.ts';

/** The files of a rules directory, by the part of the rules each holds. */
export const RULES_FILES: Readonly<Record<RulesPart, string>> = {
  routing: 'routing.yaml',
  trunks: 'trunks.yaml',
  departments: 'departments.yaml',
  users: 'users.yaml',
  masks: 'masks.yaml',
  callerIds: 'caller-ids.yaml',
  crm: 'crm.yaml',
  inbound: 'inbound.yaml',
};

/** Only trunks.yaml must exist; a missing file means "none of these" (no masks, no caller-ID rules…). */
const REQUIRED: ReadonlySet<RulesPart> = new Set(['trunks']);

export interface LoadRulesOptions {
  /** Used when routing.yaml does not set defaultCountry (DEFAULT_COUNTRY). */
  readonly defaultCountry?: string;
  /** Carrier keys trunks may name; default: the keys of carriers.yaml in the same directory, if present. */
  readonly knownCarriers?: readonly string[];
}

export type LoadRulesResult =
  | { readonly ok: true; readonly rules: Rules; readonly compiled: CompiledRules; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

/**
 * Reads, validates and compiles a rules directory. Every problem is reported as
 * `<dir>/<file>: <path>: <message>` (e.g. `rules/trunks.yaml: trunks[2].carrier: unknown carrier
 * key "mst" (known: mts, megafon, …)`); any error means no rules (the caller keeps its old ones).
 */
export function loadRules(dir: string, options: LoadRulesOptions = {}): LoadRulesResult {
  return loadRulesFrom(dir, (file) => fs.readFileSync(path.join(dir, file), 'utf8'), options, (warnings) => readCarrierKeys(dir, warnings));
}

/**
 * The same from texts held elsewhere (a stored rules version): `files` maps a file name
 * (`trunks.yaml`) to its text; errors name `<label>/<file>`.
 */
export function loadRulesFromTexts(label: string, files: Readonly<Record<string, string>>, options: LoadRulesOptions = {}): LoadRulesResult {
  return loadRulesFrom(label, (file) => {
    const text = files[file];
    if (text === undefined) throw Object.assign(new Error('not in this rules version'), { code: 'ENOENT' });
    return text;
  }, options, () => undefined);
}

/** The texts of the rules files present in a directory (what a stored version holds). */
export function readRulesFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of Object.values(RULES_FILES)) {
    try {
      out[file] = fs.readFileSync(path.join(dir, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

function loadRulesFrom(
  label: string,
  read: (file: string) => string,
  options: LoadRulesOptions,
  carrierKeys: (warnings: string[]) => readonly string[] | undefined,
): LoadRulesResult {
  const carrierWarnings: string[] = [];
  const knownCarriers = options.knownCarriers ?? carrierKeys(carrierWarnings);
  const texts = new Map<RulesPart, string | Error>();
  for (const part of Object.keys(RULES_FILES) as RulesPart[]) {
    try {
      texts.set(part, read(RULES_FILES[part]));
    } catch (err) {
      texts.set(part, err as Error);
    }
  }
  // The same texts, labels and options always give the same rules: a cold CLI process reads them back.
  let failed: LoadRulesResult | null = null;
  const inputs = {
    label, defaultCountry: options.defaultCountry ?? null, knownCarriers: knownCarriers ?? null, carrierWarnings,
    texts: [...texts].map(([part, t]) => [part, typeof t === 'string' ? t : `${(t as NodeJS.ErrnoException).code ?? ''} ${t.message}`]),
  };
  const valid = derived('rules', inputs, () => {
    const result = validateRules(label, texts, options, knownCarriers, carrierWarnings);
    if (result.ok) return { rules: result.rules, warnings: result.warnings };
    failed = result;
    return null;
  });
  if (valid === null) return failed ?? { ok: false, errors: ['the rules do not load'], warnings: [] };
  const rules = deepFreeze(valid.rules);
  return { ok: true, rules, compiled: compileRules(rules), warnings: valid.warnings };
}

/** Parses and checks the texts of a rules set (`texts`: each part's text, or why it could not be read). */
function validateRules(
  label: string,
  texts: ReadonlyMap<RulesPart, string | Error>,
  options: LoadRulesOptions,
  knownCarriers: readonly string[] | undefined,
  carrierWarnings: readonly string[],
): { ok: true; rules: Rules; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const where = (part: RulesPart) => path.join(label, RULES_FILES[part]);

  const parse = <S extends z.ZodType>(part: RulesPart, schema: S): z.output<S> | null => {
    const file = where(part);
    const raw = readYaml(file, () => {
      const text = texts.get(part);
      if (typeof text === 'string') return text;
      throw text;
    }, REQUIRED.has(part), errors);
    if (raw === undefined) return null;
    const result = schema.safeParse(raw ?? {});
    if (result.success) return result.data;
    for (const issue of result.error.issues) errors.push(formatIssue(file, issue, raw));
    return null;
  };

  const routing = parse('routing', routingFileSchema);
  const defaultCountry = routing?.defaultCountry ?? options.defaultCountry?.toUpperCase() ?? 'RU';
  const country = defaultCountry as NormalizeOptions['defaultCountry'];
  const trunks = parse('trunks', trunksFileSchema(country));
  const departments = parse('departments', departmentsFileSchema);
  const users = parse('users', usersFileSchema);
  const masks = parse('masks', masksFileSchema);
  const callerIds = parse('callerIds', callerIdsFileSchema(country));
  const crm = parse('crm', crmFileSchema(country));
  const inbound = parse('inbound', inboundFileSchema(country));
  if (errors.length > 0 || !routing || !trunks || !departments || !users || !masks || !callerIds || !crm || !inbound) {
    return { ok: false, errors, warnings };
  }

  const allTrunks = trunks.trunks.map((t) => t.id);
  const departmentList: Department[] = departments.departments.map((d, i) => {
    if (d.trunks === undefined && d.defaultTrunk !== null) {
      errors.push(`${where('departments')}: departments[${i}].defaultTrunk: a default trunk needs a trunk whitelist (trunks) in the same department`);
    }
    return {
      id: d.id,
      name: d.name ?? d.id,
      parent: d.parent,
      policy: d.trunks === undefined ? null : {
        trunks: d.trunks === '*' ? allTrunks : d.trunks,
        defaultTrunk: d.defaultTrunk,
        rotateAfterManualLine: d.rotateAfterManualLine,
        offNetFallback: d.offNetFallback,
      },
    };
  });

  const rules: Rules = {
    trunks: trunks.trunks.map((t) => ({ ...t, breaker: { ...routing.breaker, ...t.breaker }, limits: t.limits ?? null })),
    departments: departmentList,
    users: users.users,
    masks: masks.masks,
    callerIds: callerIds,
    crm,
    maxAttempts: routing.maxAttempts,
    defaultCountry,
    timezone: routing.timezone,
    inbound: {
      phoneDial: inbound.phoneDial,
      missedCallOwner: inbound.missedCallOwner,
      numbers: inbound.numbers,
      scenarios: inbound.scenarios.map((sc) => ({ ...sc, name: sc.name ?? sc.id })),
      groups: inbound.groups.map((g) => ({ ...g, name: g.name ?? g.id })),
    },
  };

  warnings.push(...carrierWarnings);
  for (const issue of checkRules(rules, knownCarriers ? { knownCarriers } : {})) {
    const line = `${where(issue.part)}: ${issue.path}: ${issue.message}`;
    (issue.severity === 'error' ? errors : warnings).push(line);
  }
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, rules, warnings };
}

/** The parsed YAML; undefined when missing-and-required or unparsable (an error is recorded). */
function readYaml(file: string, read: () => string, required: boolean, errors: string[]): unknown {
  let text: string;
  try {
    text = read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return null;
    errors.push(`${file}: cannot read: ${(err as Error).message}`);
    return undefined;
  }
  // prettyErrors off keeps messages on one line; the LineCounter still gives each error its line:col.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      errors.push(`${file}:${pos ? `${pos.line}:${pos.col}` : ''} YAML error: ${e.message.split('\n')[0]}`);
    }
    return undefined;
  }
  return doc.toJS();
}

function formatIssue(file: string, issue: z.core.$ZodIssue, raw: unknown): string {
  const at = issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
  const value = valueAt(raw, issue.path);
  const shown = value !== undefined && (value === null || typeof value !== 'object') ? JSON.stringify(value) : null;
  const got = shown !== null && !issue.message.includes(String(value)) ? ` (got ${shown})` : '';
  return `${file}: ${at || '(top level)'}: ${issue.message}${got}`;
}

function valueAt(raw: unknown, keys: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
