import { defineConfig } from 'vitest/config';

// The real-Asterisk tier (test/pbx): each file starts its own Asterisk from ../shared/asterisk, the
// connector as a process (bin/start.js: the bundle, rebuilt first by the global setup, so it is never
// older than the code under test) and the Bitrix24 double. Skipped with a message when ../shared is absent.
export default defineConfig({
  test: {
    include: ['test/pbx/**/*.pbx.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
