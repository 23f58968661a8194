import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasSharedData, SHARED_DATA, SKIP_REASON } from './shared-data.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Builds dist/ once (the CLI tests run bin/, which runs the bundled code, as a user's does), and says once, up front, why the real-data tests are
 * skipped on a clone without ../shared (and fails the run under REQUIRE_SHARED_DATA=1: importing
 * shared-data.ts throws then).
 */
export default function setup(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (!hasSharedData) {
    process.stdout.write(`\nNOTE: the tests that read real captures and registry files are ${SKIP_REASON}.\n`
      + `      Put the shared data at ${SHARED_DATA} to run them.\n\n`);
  }
}
