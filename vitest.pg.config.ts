import { defineConfig } from 'vitest/config';

// The PostgreSQL lane: migrations and repository tests against TEST_PG_URL
// (CI: postgres://postgres@127.0.0.1:5432/test). Files run one after another: they share one database.
export default defineConfig({
  test: {
    include: ['test/pg/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
