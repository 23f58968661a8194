import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { derived } from '../../config/derived-cache.ts';

/**
 * The carrier keys declared in `<rules dir>/carriers.yaml` (the operator → carrier mapping the
 * numbering-plan import uses), so trunks.yaml can be checked against them. Accepts the list form
 * (`carriers: [{ key: mts, … }]`) and the map form (`carriers: { mts: {…} }`). Undefined when the
 * file is absent or unreadable: carrier keys are then not checked, and a warning says so.
 */
export function readCarrierKeys(dir: string, warnings: string[]): readonly string[] | undefined {
  const file = path.join(dir, 'carriers.yaml');
  let doc: unknown;
  try {
    const text = fs.readFileSync(file, 'utf8');
    doc = derived<unknown>('carriers-yaml', text, () => parse(text) as unknown);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : `unreadable (${(err as Error).message.split('\n')[0]})`;
    warnings.push(`${file}: ${why}: carrier keys in trunks.yaml are not checked`);
    return undefined;
  }
  const root = doc !== null && typeof doc === 'object' && 'carriers' in doc ? (doc as { carriers: unknown }).carriers : doc;
  const keys = new Set<string>();
  if (Array.isArray(root)) {
    for (const item of root) {
      if (item !== null && typeof item === 'object' && 'key' in item) keys.add(String((item as { key: unknown }).key));
    }
  } else if (root !== null && typeof root === 'object') {
    for (const key of Object.keys(root)) keys.add(key);
  }
  if (keys.size === 0) {
    warnings.push(`${file}: no carrier keys found: carrier keys in trunks.yaml are not checked`);
    return undefined;
  }
  return [...keys];
}
