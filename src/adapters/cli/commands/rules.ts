import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { StoredRules, type ImportResult } from '../../../composition/stored-rules.ts';
import { ensureMigrated, openDb } from '../../db/connection.ts';
import { CliFailure } from '../failure.ts';

async function withStoredRules<T>(work: (rules: StoredRules) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const db = openDb({ url: env.DATABASE_URL });
  try {
    await ensureMigrated(db);
    return await work(new StoredRules(db, { rulesDir: env.RULES_DIR, defaultCountry: env.DEFAULT_COUNTRY }));
  } finally {
    await db.destroy();
  }
}

function report(result: ImportResult, what: string): void {
  for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
  if (!result.ok) throw new CliFailure(`${what} refused (${result.errors.length} error(s)); the rules in use stay:\n  ${result.errors.join('\n  ')}`, 1);
  process.stdout.write(result.changed ? `rules version ${result.version} stored; running instances switch to it within seconds\n` : `unchanged: the files equal version ${result.version}\n`);
}

/**
 * `rules import|export|history|rollback`: the rules in use live in the database as versions; a
 * directory of YAML files is how a set gets in and out. Every running instance follows the newest.
 */
export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('rules versions stored in the database (the newest is in use)');

  rules
    .command('import [dir]')
    .description('validate a rules directory (default RULES_DIR) and store it as the newest version')
    .action(async (dir?: string) => {
      await withStoredRules(async (stored) => report(await stored.importDir(dir ?? loadEnv().RULES_DIR), 'import'));
    });

  rules
    .command('export <dir>')
    .description('write a stored version (default: the newest) as YAML files into a directory')
    .option('--version <n>', 'the version to export')
    .action(async (dir: string, opts: { version?: string }) => {
      await withStoredRules(async (stored) => {
        const v = opts.version === undefined ? await stored.versions.newest() : await stored.versions.get(Number(opts.version));
        if (!v) throw new CliFailure(opts.version === undefined ? 'no rules version is stored yet' : `there is no rules version ${opts.version}`, 1);
        fs.mkdirSync(dir, { recursive: true });
        for (const [file, text] of Object.entries(v.files)) fs.writeFileSync(path.join(dir, file), text);
        process.stdout.write(`rules version ${v.version} written to ${dir} (${Object.keys(v.files).length} files)\n`);
      });
    });

  rules
    .command('history')
    .description('list the stored versions, newest (in use) first')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: { limit: string }) => {
      await withStoredRules(async (stored) => {
        const list = await stored.versions.list(Math.max(1, Number(opts.limit) || 20));
        if (list.length === 0) process.stdout.write('no rules version is stored yet (the first start imports RULES_DIR)\n');
        list.forEach((v, i) => process.stdout.write(`v${v.version}\t${new Date(v.createdAt).toISOString()}\t${v.source}${i === 0 ? '\t(in use)' : ''}\n`));
      });
    });

  rules
    .command('rollback <version>')
    .description('store an older version again as the newest (validated first)')
    .action(async (version: string) => {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) throw new CliFailure(`rollback: "${version}" is not a version number`, 2);
      await withStoredRules(async (stored) => report(await stored.rollback(n), `rollback to v${n}`));
    });
}
