import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

/**
 * What a short-lived process (the CLI) derives from the rules texts — parsed YAML checked by the
 * schemas — kept on disk by a hash of those texts and of the program's build: a cold `route
 * explain` then reads it back instead of running the YAML parser and the validators, which were
 * most of its CPU. Off unless `useDerivedCache` is called; a value that would not come back from
 * JSON exactly is never kept, and a cache that cannot be read or written only costs speed.
 */
let store: { readonly dir: string; readonly build: string } | null = null;

/** `dir`: where the entries live; `build`: names the program's build (a new build never reads an old entry). */
export function useDerivedCache(dir: string, build: string): void {
  store = { dir, build };
}

/** `compute()`'s value for `inputs`, from the cache when it holds one; a null value is not kept. */
export function derived<T>(kind: string, inputs: unknown, compute: () => T | null): T | null {
  if (store === null) return compute();
  // The entry holds its inputs, compared whole: a short name collision is a miss, never a wrong value.
  const key = JSON.stringify([store.build, kind, inputs]);
  const file = path.join(store.dir, `${kind}-${fnv1a(key)}.json`);
  try {
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; value: T };
    if (entry.key === key) return entry.value;
  } catch {
    // Not there yet (or unreadable): computed below.
  }
  const value = compute();
  if (value === null) return value;
  try {
    const json = JSON.stringify(value);
    if (!isDeepStrictEqual(JSON.parse(json), value)) return value;
    const text = JSON.stringify({ key, value });
    fs.mkdirSync(store.dir, { recursive: true });
    // One entry per kind: the texts changed, the old entry is of no use.
    for (const old of fs.readdirSync(store.dir)) if (old.startsWith(`${kind}-`) && old.endsWith('.json')) fs.rmSync(path.join(store.dir, old), { force: true });
    // Written aside and renamed: a process starting meanwhile reads a whole entry or none.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch {
    // Not kept this time.
  }
  return value;
}

/** A short file name for a key (loading node:crypto for a hash costs a cold process several ms). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
