import { defineConfig } from 'vitest/config';

// The default lane: no database server needed (SQLite in temp files), runs on a bare clone. The
// real-Asterisk tier (test/pbx) runs too when ../shared/asterisk is present, and skips otherwise.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/pbx/**/*.pbx.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
