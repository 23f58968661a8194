/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process (so memory figures of one do not
 * leak into another) and prints their figures. `npm run bench -- lookup` runs only the files whose
 * name contains "lookup". Figures only, no assertions.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(dir, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.log(`!!! ${file} exited with ${r.status ?? r.signal}`);
  }
  console.log(`(${file}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
if (failed > 0) process.exitCode = 1;
