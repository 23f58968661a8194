// `npm run build` (the `prepare` step of npm install and npm ci): bundles the CLI, the service and
// the demo into one CommonJS file each under dist/. A cold `npx b24pbx …` then reads one file
// instead of resolving and loading hundreds of ES modules, and bin/run-cached.js can hand V8 a
// code cache for it. No TypeScript is compiled at run time; types are checked by `npm run typecheck`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

export const ENTRIES = {
  'cli/b24pbx': 'src/adapters/cli/main.ts',
  'service/start': 'src/main.ts',
  'demo/demo': 'src/demo.ts',
};

// Left to node_modules: sqlite3 is a native module; pg is only loaded for a postgres:// URL; the
// rest are database drivers knex can load that this package does not install.
const EXTERNAL = [
  'sqlite3', 'pg', 'pg-native', 'pg-query-stream',
  'better-sqlite3', 'mysql', 'mysql2', 'mariadb', 'mariadb/callback', 'oracledb', 'tedious',
];

// Everything built before goes, code caches included (a cache belongs to one build of a bundle).
fs.rmSync(dist, { recursive: true, force: true });

const started = performance.now();
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ENTRIES,
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: EXTERNAL,
  // The sources are ES modules; a CommonJS bundle knows its own file by __filename.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
const sizes = Object.keys(ENTRIES).map((e) => `dist/${e}.cjs ${(fs.statSync(path.join(dist, `${e}.cjs`)).size / 1048576).toFixed(1)} MB`);
process.stdout.write(`bundled ${sizes.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
