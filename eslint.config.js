import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The routing core is pure: no I/O, no clock, no randomness of its own.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'knex', 'pg', 'sqlite3', 'express', 'asterisk-manager', '@bitrix24/*', 'pino'], message: 'src/core is pure: do I/O in src/adapters.' },
          { group: ['**/adapters/**', '**/app/**'], message: 'src/core must not depend on adapters or use cases.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'take time as an input' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'take randomness as an input' }],
    },
  },
  {
    // Use cases speak through the ports they declare: wiring (routers, schedules, servers,
    // transactions) is done in src/composition.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['knex', 'express', 'node-cron'], message: 'src/app declares a port; src/adapters implements it, src/composition wires it.' },
          { group: ['**/adapters/http/**', '**/adapters/asterisk/**', '**/composition/**'], message: 'src/app must not depend on the HTTP or Asterisk adapters or on the composition root.' },
        ],
      }],
    },
  },
  {
    // Adapters never import each other: shared pure parsing lives in src/core, shared types in src/app.
    files: ['src/adapters/http/**/*.ts', 'src/adapters/bitrix24/**/*.ts', 'src/adapters/asterisk/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/asterisk/**', '**/db/**'], message: 'adapters never import each other: pass collaborators in from src/composition.' },
        ],
      }],
    },
  },
);
