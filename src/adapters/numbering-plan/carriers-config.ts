import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { derived } from '../../config/derived-cache.ts';
import { CarrierMapping, CarriersConfigError, type CarriersConfig } from '../../core/numbering/carrier-mapping.ts';

const carrierKey = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'carrier keys are lower-case letters, digits and dashes');

const schema = z.object({
  carriers: z.record(carrierKey, z.object({
    name: z.string().optional(),
    inn: z.array(z.coerce.string().regex(/^\d{10}(\d{2})?$/, 'an INN has 10 or 12 digits')).optional(),
    names: z.array(z.string()).optional(),
  }).strict()),
  onNet: z.record(carrierKey, carrierKey).optional(),
  portedOwners: z.record(z.string(), carrierKey).optional(),
}).strict();

export const CARRIERS_FILE = 'carriers.yaml';

/** The value at a zod issue path, to quote it in the message (undefined when absent). */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Parses carriers.yaml text; errors name the file, the offending path and its value, on one line. */
export function parseCarriersConfig(text: string, source = CARRIERS_FILE): CarriersConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    // The library appends a code frame after the first line ("… at line 3, column 1:"): keep one line.
    const first = ((err as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '');
    throw new CarriersConfigError(`${source}: not valid YAML: ${first}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const value = valueAt(raw, i.path);
      const shown = value === undefined || (typeof value === 'object' && value !== null) ? '' : ` (got ${JSON.stringify(value)})`;
      return `${i.path.join('.') || '(root)'}: ${i.message}${shown}`;
    });
    throw new CarriersConfigError(`${source}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Loads `RULES_DIR/carriers.yaml` into a mapping (re-read on every reload). */
export function loadCarrierMapping(rulesDir: string): CarrierMapping {
  const file = path.join(rulesDir, CARRIERS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CarriersConfigError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return new CarrierMapping(derived('carriers-config', [file, text], () => parseCarriersConfig(text, file))!);
  } catch (err) {
    if (err instanceof CarriersConfigError && !err.message.startsWith(file)) throw new CarriersConfigError(err.message.replace(/^carriers\.yaml/, file));
    throw err;
  }
}
