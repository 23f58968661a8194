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
  // import() of an external module (pg, node:fs) becomes require(): bin/run-cached.js compiles
  // the bundle as a vm.Script, which has no loader for import().
  supported: { 'dynamic-import': false },
  // The sources are ES modules; a CommonJS bundle knows its own file by __filename.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  // Without comments and blank space, with names kept for readable stack traces: less to read
  // at every start.
  minifyWhitespace: true,
  minifySyntax: true,
  // ASCII only, so bin/run-cached.js can read the bundle as latin1: decoding megabytes of UTF-8
  // into a string costs a cold process more CPU than all of its own work.
  charset: 'ascii',
  logLevel: 'warning',
});
for (const entry of Object.keys(ENTRIES)) escapeRegexLiterals(path.join(dist, `${entry}.cjs`));
const sizes = Object.keys(ENTRIES).map((e) => `dist/${e}.cjs ${(fs.statSync(path.join(dist, `${e}.cjs`)).size / 1048576).toFixed(1)} MB`);
process.stdout.write(`bundled ${sizes.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

/**
 * esbuild escapes non-ASCII characters everywhere but in regular expression literals (our
 * Cyrillic patterns): there `\uXXXX` matches the same, with or without the `u` flag, so every one
 * left is escaped here. One right after a backslash could not be, and stops the build.
 */
function escapeRegexLiterals(file) {
  const text = fs.readFileSync(file, 'utf8');
  // Code unit by code unit: a surrogate pair becomes two escapes, which match the same pair.
  const escaped = text.replace(/[\u0080-\uffff]/g, (unit, at) => {
    if (text[at - 1] === '\\') throw new Error(`${file}: an escaped non-ASCII character at offset ${at}`);
    return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  fs.writeFileSync(file, escaped);
}
