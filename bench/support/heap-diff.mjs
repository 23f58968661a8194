// Heap growth by constructor between two V8 heap snapshots: `node bench/support/heap-diff.mjs A B`.
// Prints the 25 object kinds whose retained-by-self bytes grew most, with their counts.
import fs from 'node:fs';

function summarize(file) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const by = new Map();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const key = `${types[snap.nodes[i + iType]]}:${snap.strings[snap.nodes[i + iName]].slice(0, 60)}`;
    const e = by.get(key) ?? { count: 0, bytes: 0 };
    e.count += 1;
    e.bytes += snap.nodes[i + iSize];
    by.set(key, e);
  }
  return by;
}

const [a, b] = process.argv.slice(2).map(summarize);
const rows = [...b].map(([k, e]) => ({ k, count: e.count - (a.get(k)?.count ?? 0), bytes: e.bytes - (a.get(k)?.bytes ?? 0) }));
rows.sort((x, y) => y.bytes - x.bytes);
for (const r of rows.slice(0, Number(process.env.TOP ?? 25))) console.log(`${(r.bytes / 1024).toFixed(0).padStart(8)} KB ${String(r.count).padStart(8)}  ${r.k}`);
