import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UploadArea } from '../../app/console/plan-imports.ts';

/** Plan files uploaded through the console wait in a private directory under the system temp dir. */
export function tempUploadArea(base = os.tmpdir()): UploadArea {
  return {
    newDir: () => fs.mkdtemp(path.join(base, 'b24pbx-plan-upload-')),
    remove: (dir) => fs.rm(dir, { recursive: true, force: true }),
  };
}
