import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * `../shared` beside the checkout (SHARED_DIR overrides it, e.g. for a second working tree):
 * real data and the lab Asterisk written by others, never copied into the repo.
 */
export const SHARED_ROOT = process.env.SHARED_DIR ? path.resolve(process.env.SHARED_DIR) : path.resolve(here, '../../../shared');
export const SHARED_DATA = path.join(SHARED_ROOT, 'data');

const present = fs.existsSync(SHARED_DATA);

if (!present && process.env.REQUIRE_SHARED_DATA === '1') {
  throw new Error(`REQUIRE_SHARED_DATA=1 but ${SHARED_DATA} does not exist: the real-data tests cannot run`);
}

/**
 * True when ../shared/data is beside the checkout. On a user's fresh clone it is not: tests that
 * read it skip with this message (CI sets REQUIRE_SHARED_DATA=1, which turns the absence into a failure).
 */
export const hasSharedData = present;
export const SKIP_REASON = `skipped: ${SHARED_DATA} is not present (real data lives outside the repository)`;

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DATA, ...parts);
}
