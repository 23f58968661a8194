import { hasSharedData, SHARED_DATA, SKIP_REASON } from './shared-data.ts';

/**
 * Says once, up front, why the real-data tests are skipped on a clone without ../shared (and fails
 * the run under REQUIRE_SHARED_DATA=1: importing shared-data.ts throws then).
 */
export default function setup(): void {
  if (!hasSharedData) {
    process.stdout.write(`\nNOTE: the tests that read real captures and registry files are ${SKIP_REASON}.\n`
      + `      Put the shared data at ${SHARED_DATA} to run them.\n\n`);
  }
}
