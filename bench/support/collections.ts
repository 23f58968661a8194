/**
 * The Maps, Sets and arrays reachable from `root` (its own fields, privates included) that still
 * hold at least `min` entries: after every call has ended, a per-call collection that stays full
 * is a leak. Walks at most `depth` levels and each object once.
 */
export function largeCollections(root: unknown, min = 100, depth = 8): { path: string; size: number }[] {
  const seen = new WeakSet<object>();
  const out: { path: string; size: number }[] = [];
  const walk = (value: unknown, path: string, level: number): void => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
    const obj = value as object;
    if (seen.has(obj) || level > depth || ArrayBuffer.isView(obj)) return;
    seen.add(obj);
    if (obj instanceof Map || obj instanceof Set || Array.isArray(obj)) {
      const size = Array.isArray(obj) ? obj.length : obj.size;
      if (size >= min) out.push({ path, size });
      if (obj instanceof Map) for (const v of [...obj.values()].slice(0, 3)) walk(v, `${path}[*]`, level + 1);
      return;
    }
    let keys: string[];
    try {
      keys = Object.getOwnPropertyNames(obj);
    } catch {
      return;
    }
    for (const k of keys) {
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[k];
      } catch {
        continue;
      }
      walk(v, `${path}.${k}`, level + 1);
    }
  };
  walk(root, 'connector', 0);
  return out.sort((a, b) => b.size - a.size);
}
