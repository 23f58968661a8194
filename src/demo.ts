import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from './adapters/logging/logger.ts';
import { formatDemo, runDemoCalls } from './composition/demo-calls.ts';
import { startWithDoubles } from './composition/demo-environment.ts';
import { loadEnv } from './config/env.ts';

/**
 * `npm run demo`: the demo's scripted click-to-calls, twenty times faster than real time, on a
 * throw-away database; prints what was routed, rotated and written to the CRM, then exits.
 */
async function demo(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-demo-'));
  const env = loadEnv({ LOG_LEVEL: 'warn', ...process.env, DATABASE_URL: path.join(dir, 'demo.sqlite'), PORT: '0', AGI_PORT: '0' });
  const logger = createLogger(env.LOG_LEVEL);
  const doubled = await startWithDoubles(env, logger, { timeScale: 0.05 });
  try {
    const outcomes = await runDemoCalls(doubled);
    process.stdout.write(`${formatDemo(outcomes)}\n`);
  } finally {
    await doubled.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// No top-level await: the shipped demo is a CommonJS bundle (see scripts/bundle.mjs).
demo().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
