import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { instancesContract } from '../../contracts/instances.contract.ts';

// The same suite with one instance on SQLite: the lease is trivially its own, a crash is followed
// by a restart on the same file, which takes over once the dead holder's lease expires.
instancesContract('SQLite', 1, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-instances-'));
  return {
    databaseUrl: () => path.join(dir, 'connector.sqlite'),
    databasePort: null,
    close: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
