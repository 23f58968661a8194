import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../adapters/db/connection.ts';
import { NumberingPlanRepository, type PlanVersion } from '../../adapters/db/repositories/numbering-plan-repository.ts';
import type { CarrierMapping } from '../../core/numbering/carrier-mapping.ts';
import { importPlan, type PlanImportSummary } from './import-plan.ts';

/** The package's folder: upwards from this module, which runs from src/ (tsx) or from a bundle in dist/. */
function packageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The generated sample shipped in carrier-db/ (synthetic ranges, not the official registry). */
const CARRIER_DB = path.join(packageDir(), 'carrier-db');
export const SAMPLE_PLAN_FILES: readonly string[] = [path.join(CARRIER_DB, 'sample-DEF-9xx.csv'), path.join(CARRIER_DB, 'sample-ABC-4xx.csv')];

/** For the demo and first start: imports the sample plan when no plan was ever imported. */
export async function importSamplePlanIfEmpty(db: Db, mapping: CarrierMapping, now: number): Promise<PlanImportSummary | null> {
  const history = await new NumberingPlanRepository(db).history();
  if (history.length > 0) return null;
  return importPlan({ db, files: SAMPLE_PLAN_FILES, mapping, now });
}

/** The plan version is the shipped sample (by the files' contents, wherever they were imported from). */
export function isSamplePlan(version: PlanVersion): boolean {
  const sample = new Set(SAMPLE_PLAN_FILES.map((f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')));
  return version.files.length > 0 && version.files.every((f) => sample.has(f.sha256));
}
