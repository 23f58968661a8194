/**
 * The shape of a Bitrix24 REST answer: every key path with its JSON type, arrays by their first
 * element (`result[].NAME:string`). Values are ignored, so a documented answer and the double's
 * answer compare by structure only.
 */
export function responseShape(body: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      out.push(`${path}:array`);
      if (v.length > 0) walk(v[0], `${path}[]`);
    } else if (v === null) {
      out.push(`${path}:null`);
    } else if (typeof v === 'object') {
      out.push(`${path}:object`);
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) walk(child, path ? `${path}.${k}` : k);
    } else {
      out.push(`${path}:${typeof v}`);
    }
  };
  walk(body, '');
  return out.filter((p) => !p.startsWith(':')).sort();
}

function split(entry: string): [string, string] {
  const i = entry.lastIndexOf(':');
  return [entry.slice(0, i), entry.slice(i + 1)];
}

/**
 * Differences between a documented shape and an actual one: paths missing on either side, and
 * type mismatches (a documented `null` accepts any type — the example just had no value there).
 * `time.*` paths the documentation lacks are accepted (older examples predate `operating_reset_at`);
 * with `subset`, the actual answer may carry fewer keys than the documentation (user.get, where the
 * example shows every profile field and the connector reads a few).
 */
export function shapeDifferences(documented: readonly string[], actual: readonly string[], options: { subsetOf?: readonly string[] } = {}): string[] {
  const doc = new Map(documented.map(split));
  const act = new Map(actual.map(split));
  const diffs: string[] = [];
  const wanted = options.subsetOf ? [...doc.keys()].filter((p) => options.subsetOf?.includes(p)) : [...doc.keys()];
  for (const path of wanted) {
    const t = act.get(path);
    const d = doc.get(path) as string;
    if (t === undefined) diffs.push(`missing ${path}`);
    else if (d !== 'null' && t !== 'null' && d !== t) diffs.push(`${path}: documented ${d}, got ${t}`);
  }
  if (!options.subsetOf) {
    for (const path of act.keys()) if (!doc.has(path) && !path.startsWith('time.')) diffs.push(`extra ${path}`);
  }
  return diffs;
}
