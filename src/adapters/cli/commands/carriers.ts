import path from 'node:path';
import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { ensureMigrated, openDb, type Db } from '../../db/connection.ts';
import { loadCarrierMapping } from '../../numbering-plan/carriers-config.ts';
import { CarriersConfigError, type CarrierMapping } from '../../../core/numbering/carrier-mapping.ts';
import { normalizePhone } from '../../../core/phone/normalize.ts';
import type { PlanImportSummary } from '../../../app/numbering/import-plan.ts';
import type { PortedImportSummary } from '../../../app/numbering/import-ported.ts';
import { ImportRefusedError } from '../../../app/numbering/import-refused.ts';
import { NothingToRollBackError, planHistory, rollbackPlan } from '../../../app/numbering/plan-history.ts';
import { CarrierIndexStore } from '../../../app/numbering/carrier-index-store.ts';
import { planCodeOf } from '../../../core/numbering/carrier-index.ts';
import { PortedRepository } from '../../db/repositories/ported-repository.ts';
import { AlertsRepository } from '../../db/repositories/alerts-repository.ts';
import { recordAlert } from '../../../app/alerts/alerts.ts';
import type { PortedMode } from '../../numbering-plan/ported-file-reader.ts';
import { CliFailure } from '../failure.ts';

interface Context {
  readonly db: Db;
  readonly mapping: () => CarrierMapping;
  /** IMPORT_MAX_SHRINK as a share (0–1). */
  readonly maxShrink: number;
}

/** Opens the database (migrating on first use), runs `body`, always closes. Input problems exit 1. */
async function withContext<T>(body: (ctx: Context) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const db = openDb({ url: env.DATABASE_URL });
  try {
    await ensureMigrated(db);
    return await body({ db, mapping: () => loadCarrierMapping(env.RULES_DIR), maxShrink: env.IMPORT_MAX_SHRINK / 100 });
  } catch (err) {
    if (err instanceof ImportRefusedError || err instanceof CarriersConfigError || err instanceof NothingToRollBackError) {
      throw new CliFailure(err.message, 1);
    }
    throw err;
  } finally {
    await db.destroy();
  }
}

/** A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or CI). */
async function progressBar(label: string): Promise<{ update(done: number, total: number): void; stop(): void }> {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {doneMb}/{totalMb} MB | {eta_formatted}`,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      const payload = { doneMb: (done / 1048576).toFixed(1), totalMb: (total / 1048576).toFixed(1) };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else bar.update(done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/**
 * A refused import is an admin alert: stored, so the running connector shows it on every dashboard
 * and tells ALERT_B24_USERS (an import run by a scheduled script has no one reading its terminal).
 */
async function recordRefusal(db: Db, what: string, files: readonly string[], err: unknown): Promise<void> {
  if (!(err instanceof Error)) return;
  const names = files.map((f) => path.basename(f)).join(', ');
  const message = `${what} of ${names} refused (b24pbx carriers): ${err.message}`;
  await recordAlert(new AlertsRepository(db), { kind: 'import-refused', subject: '', message }, Date.now()).catch((e: unknown) => {
    process.stderr.write(`the refusal could not be recorded as an alert: ${(e as Error).message}\n`);
  });
}

const UNMAPPED_SHOWN = 25;
const fmt = (n: number): string => n.toLocaleString('en-US');

function printPlanSummary(s: PlanImportSummary, mapping: CarrierMapping): void {
  const out: string[] = [];
  if (s.forced) out.push(`imported with --force although ${s.forced}`);
  out.push(`imported numbering plan version ${s.version.id}: ${fmt(s.rows)} rows, ${fmt(s.ranges)} ranges, ${fmt(s.numbers)} numbers in ${s.seconds.toFixed(2)} s`);
  for (const f of s.version.files) out.push(`  ${f.name}: ${fmt(f.rows)} rows, ${f.columns} columns, ${f.encoding}, sha256 ${f.sha256}`);
  out.push('numbers per carrier:');
  for (const c of s.numbersByCarrier) out.push(`  ${c.key.padEnd(16)} ${fmt(c.numbers).padStart(14)}  (${fmt(c.rows)} ranges, ${mapping.displayName(c.key)})`);
  if (s.unmapped.length === 0) out.push('unmapped operators: none');
  else {
    const numbers = s.unmapped.reduce((a, u) => a + u.numbers, 0);
    out.push(`unmapped operators: ${s.unmapped.length} (${fmt(numbers)} numbers; add them to carriers.yaml if you route by them)`);
    for (const u of s.unmapped.slice(0, UNMAPPED_SHOWN)) out.push(`  ${u.operator}${u.inn ? ` (ИНН ${u.inn})` : ''}: ${fmt(u.rows)} ranges, ${fmt(u.numbers)} numbers`);
    if (s.unmapped.length > UNMAPPED_SHOWN) out.push(`  … and ${s.unmapped.length - UNMAPPED_SHOWN} smaller ones`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function printPortedSummary(s: PortedImportSummary): void {
  const out: string[] = [];
  if (s.forced) out.push(`imported with --force although ${s.forced}`);
  out.push(`imported ported numbers (${s.layout}, ${s.mode}): ${fmt(s.rows)} rows in ${s.seconds.toFixed(2)} s; the override set now holds ${fmt(s.numbers)} numbers`);
  out.push(`  added ${fmt(s.added)}, changed ${fmt(s.updated)}, removed ${fmt(s.removed)}${s.duplicates ? `, ${fmt(s.duplicates)} repeated numbers ignored` : ''}`);
  out.push('numbers per carrier:');
  for (const c of s.byCarrier) out.push(`  ${c.key.padEnd(16)} ${fmt(c.numbers).padStart(12)}`);
  if (s.unknownOwners.length === 0) out.push('unknown owner ids: none');
  else {
    out.push(`unknown owner ids: ${s.unknownOwners.length} (map them under portedOwners: in carriers.yaml)`);
    for (const u of s.unknownOwners) out.push(`  ${u.owner}: ${fmt(u.numbers)} numbers`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function registerCarrierCommands(program: Command): void {
  const carriers = program.command('carriers').description('numbering plan, ported numbers and carrier lookup');

  carriers.command('import')
    .description('import registry files (DEF-9xx, ABC-3xx/4xx/8xx; any vintage) as one new plan version')
    .argument('<files...>', 'CSV files from the numbering-plan registry')
    .option('--force', 'import even if the plan would lose a kind of numbers (DEF, ABC) or more than IMPORT_MAX_SHRINK % of one')
    .action(async (files: string[], opts: { force?: boolean }) => {
      // Loaded here: the import machinery (decoders, progress bar) is not paid for by a lookup.
      const { importPlan, PlanFileError } = await import('../../../app/numbering/import-plan.ts');
      await withContext(async ({ db, mapping, maxShrink }) => {
        const m = mapping();
        const bar = await progressBar('importing');
        try {
          const summary = await importPlan({
            db, files, mapping: m, now: Date.now(), onProgress: (d, t) => bar.update(d, t), maxShrink, force: opts.force === true,
          });
          bar.stop();
          printPlanSummary(summary, m);
        } catch (err) {
          if (err instanceof PlanFileError || err instanceof ImportRefusedError) await recordRefusal(db, 'numbering-plan import', files, err);
          throw err instanceof PlanFileError ? new CliFailure(err.message, 1) : err;
        } finally {
          bar.stop();
        }
      });
    });

  carriers.command('import-ported')
    .description('import ported numbers (ЦНИИС Port_All / Port_Increment / Port_Hour_* files, or "number;carrier")')
    .argument('<file>', 'ported-numbers CSV')
    .option('--mode <mode>', 'override the detected mode: full (replace the set), increment (add/change), returned (remove)')
    .option('--force', 'import a full file even if it is empty or would remove more than IMPORT_MAX_SHRINK % of the set')
    .action(async (file: string, opts: { mode?: string; force?: boolean }) => {
      if (opts.mode !== undefined && !['full', 'increment', 'returned'].includes(opts.mode)) {
        throw new CliFailure(`--mode must be full, increment or returned, got "${opts.mode}"`, 2);
      }
      const { importPorted, PortedFileError } = await import('../../../app/numbering/import-ported.ts');
      await withContext(async ({ db, mapping, maxShrink }) => {
        const m = mapping();
        const bar = await progressBar('importing');
        const { size } = await import('node:fs').then((fs) => fs.statSync(file));
        try {
          const summary = await importPorted({
            db, file, mapping: m, now: Date.now(), mode: opts.mode as PortedMode | undefined, onProgress: (d) => bar.update(d, size),
            maxShrink, force: opts.force === true,
          });
          bar.stop();
          printPortedSummary(summary);
        } catch (err) {
          if (err instanceof PortedFileError || err instanceof ImportRefusedError) await recordRefusal(db, 'ported-numbers import', [file], err);
          throw err instanceof PortedFileError ? new CliFailure(err.message, 1) : err;
        } finally {
          bar.stop();
        }
      }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliFailure(`${file}: no such file`, 1);
        throw err;
      });
    });

  carriers.command('history')
    .description('list imported plan versions (the active one is marked) and ported-number imports')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async ({ db }) => {
        const plans = await planHistory(db);
        const ported = await new PortedRepository(db).history();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({
            plans: plans.map((p) => ({ ...p, importedAt: isoTime(p.importedAt) })),
            ported: ported.map((p) => ({ ...p, importedAt: isoTime(p.importedAt) })),
          }, null, 2)}\n`);
          return;
        }
        if (plans.length === 0) process.stdout.write('no numbering plan imported yet\n');
        for (const p of plans) {
          process.stdout.write(`${p.active ? '*' : ' '} version ${p.id}  ${isoTime(p.importedAt)}  ${fmt(p.rows)} rows  ${fmt(p.numbers)} numbers\n`);
          for (const f of p.files) process.stdout.write(`      ${f.name}  sha256 ${f.sha256}  ${fmt(f.rows)} rows\n`);
        }
        if (ported.length > 0) process.stdout.write('ported numbers:\n');
        for (const p of ported) {
          process.stdout.write(`${p.active ? '*' : ' '} ${isoTime(p.importedAt)}  ${p.mode.padEnd(9)}  ${p.file}  ${fmt(p.rows)} rows → ${fmt(p.numbers)} numbers  sha256 ${p.sha256}\n`);
        }
      });
    });

  carriers.command('rollback')
    .description('activate the plan version imported before the active one')
    .action(async () => {
      await withContext(async ({ db }) => {
        const { from, to } = await rollbackPlan(db);
        process.stdout.write(`rolled back from version ${from.id} to version ${to.id} (imported ${isoTime(to.importedAt)}: ${to.files.map((f) => f.name).join(', ')})\n`);
      });
    });

  carriers.command('lookup')
    .description('show the carrier of a number (ported overrides first, then the registry ranges)')
    .argument('<number>', 'phone number: +79261234567, 89261234567, 9261234567…')
    .option('--json', 'machine-readable output')
    .action(async (input: string, opts: { json?: boolean }) => {
      const normalized = normalizePhone(input, { defaultCountry: 'RU' });
      if (!normalized.ok) throw new CliFailure(`${normalized.code}: ${normalized.message}`, 1);
      await withContext(async ({ db, mapping }) => {
        const code = planCodeOf(normalized.number.digits);
        const store = new CarrierIndexStore({ db, loadMapping: mapping, codes: code === null ? [] : [code] });
        await store.reload();
        const c = store.current().lookup(normalized.number.digits);
        const carrier = { key: c.key, operator: c.operator, inn: c.inn, region: c.region, source: c.source, onNet: c.onNet === undefined ? c.key : c.onNet, kind: c.kind };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ e164: normalized.number.e164, carrier })}\n`);
          return;
        }
        const parts = [
          normalized.number.e164,
          c.source === 'unknown' ? 'unknown carrier' : `${c.key ?? 'unmapped'}`,
          c.operator ? `"${c.operator}"` : null,
          c.inn ? `ИНН ${c.inn}` : null,
          c.region,
          c.kind,
          c.source !== 'unknown' ? `source ${c.source}` : null,
          c.onNet && c.onNet !== c.key ? `on-net via ${c.onNet}` : null,
        ];
        process.stdout.write(`${parts.filter((p) => p !== null && p !== '').join('  ')}\n`);
      });
    });
}
