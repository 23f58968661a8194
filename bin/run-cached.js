// Runs a bundle from dist/ (built by `npm run build`, which npm install and npm ci run as their
// `prepare` step) with a V8 code cache: a cold process then skips compiling the bundle's functions
// it ran last time, which is most of a short CLI command's CPU. Node 20 has no built-in compile
// cache for user code (module.enableCompileCache is Node 22), so the bundle is compiled here as
// vm.Script with cachedData. The cache is per bundle build and per `key` (each CLI command group
// compiles different functions); it is rewritten when missing or when V8 rejects it (another Node
// version or flags), and only by a run that succeeded (a usage error compiles little). A cache
// that cannot be written (a read-only install) only costs speed.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * `entry`: the bundle under dist/ (e.g. `cli/b24pbx.cjs`); `key`: which cache of it to use, the
 * command's words (`carriers lookup`).
 */
export function runBundle(entry, ...key) {
  const file = fileURLToPath(new URL(`../dist/${entry}`, import.meta.url));
  let source;
  let stat;
  try {
    // The bundle is ASCII only (scripts/bundle.mjs sees to it): latin1 reads it without UTF-8 decoding.
    source = fs.readFileSync(file, 'latin1');
    stat = fs.statSync(file);
  } catch {
    process.stderr.write(`dist/${entry} is missing: run \`npm run build\` (npm install and npm ci run it).\n`);
    process.exit(1);
  }
  const cacheDir = path.join(path.dirname(file), '.cache');
  const words = key.filter((w) => /^[a-z][a-z-]{0,30}$/.test(w ?? ''));
  const prefix = `${path.basename(file)}-${words.length > 0 ? words.join('.') : 'other'}-`;
  // Size and mtime name the build: a rebuilt bundle never meets the cache of the one before.
  const cacheFile = path.join(cacheDir, `${prefix}${stat.size}-${Math.floor(stat.mtimeMs)}.v8`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }

  // The CommonJS module wrapper, on the bundle's first line so line numbers stay true.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit the cache holds every function this run compiled, not only the top level.
    process.once('exit', (code) => {
      if (code === 0) writeCache(script, cacheDir, prefix, cacheFile);
    });
  }
  // The bundle may keep what it derives from its inputs (the rules, validated) beside the code
  // cache, under the same build name.
  globalThis.b24pbxBuild = { cacheDir, id: `${stat.size}-${Math.floor(stat.mtimeMs)}` };
  const module = { exports: {}, filename: file, id: '.', loaded: false };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
}

function writeCache(script, cacheDir, prefix, cacheFile) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const old of fs.readdirSync(cacheDir)) if (old.startsWith(prefix)) fs.rmSync(path.join(cacheDir, old), { force: true });
    // Written aside and renamed: a process starting meanwhile reads a whole cache or none.
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, cacheFile);
  } catch {
    // No cache this time: the next run compiles the bundle again.
  }
}
