// Preload for the connector process of the real-Asterisk benches:
// CONNECTOR_NODE_OPTIONS="--import ./bench/support/db-statements.mjs". Counts every SQLite statement
// the process runs (node-sqlite3 is left out of the bundle, so this is the module knex uses), by its
// SQL with literals and parameter lists folded. On SIGUSR2 it writes the counts so far to
// DB_STATEMENTS_DIR/statements-PID.json; the bench diffs two such snapshots around a phase.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const sqlite3 = require('sqlite3');
const counts = new Map();

/** The statement's shape: parameter lists, numbers and strings folded, so a batch size does not split it. */
function shape(sql) {
  return String(sql)
    .replace(/\s+/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\((?:\s*\?\s*,?)+\)/g, '(?…)')
    .replace(/(?:\(\?…\)\s*,\s*)+\(\?…\)/g, '(?…)…')
    .replace(/\b\d+\b/g, 'N')
    .trim()
    .slice(0, 160);
}

// Every execution goes through a Statement (Database#run/all/get make one per call; prepared ones
// are run again and again): counted there, so both kinds count once per execution.
for (const method of ['run', 'all', 'get', 'each']) {
  const original = sqlite3.Statement.prototype[method];
  sqlite3.Statement.prototype[method] = function counted(...args) {
    const key = shape(this.sql);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return original.apply(this, args);
  };
}
const exec = sqlite3.Database.prototype.exec;
sqlite3.Database.prototype.exec = function counted(sql, ...rest) {
  const key = shape(sql);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return exec.call(this, sql, ...rest);
};

process.on('SIGUSR2', () => {
  const dir = process.env.DB_STATEMENTS_DIR ?? process.cwd();
  const file = path.join(dir, `statements-${process.pid}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(counts)));
  fs.renameSync(`${file}.tmp`, file);
});
