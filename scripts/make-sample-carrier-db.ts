// Regenerates carrier-db/ (the synthetic sample plan): `npm run sample-data`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSampleCarrierDb } from '../src/adapters/numbering-plan/sample.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const file of writeSampleCarrierDb(path.join(root, 'carrier-db'))) {
  console.log(`wrote ${path.relative(root, file)}`);
}
