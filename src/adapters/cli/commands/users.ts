import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { ensureMigrated, openDb } from '../../db/connection.ts';
import { B24DirectoryRepository } from '../../db/repositories/b24-users-repository.ts';
import { loadRules } from '../../rules/load.ts';
import { CliFailure } from '../failure.ts';

/**
 * The running service's address as seen from this host: HTTP_HOST 0.0.0.0 (all interfaces)
 * is reached through the loopback address.
 */
function defaultServiceUrl(env: { readonly HTTP_HOST: string; readonly PORT: number }): string {
  const host = env.HTTP_HOST === '0.0.0.0' || env.HTTP_HOST === '::' ? '127.0.0.1' : env.HTTP_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT}`;
}

/**
 * `users sync`: asks the RUNNING service to sync (POST /admin/users/sync). The service owns the
 * portal's OAuth tokens — a second process refreshing them would invalidate the service's refresh
 * token — and it rebuilds its routing rules from the new directory at once.
 * `users list`: both sources of users the routing sees, each under its own heading: the Bitrix24
 * directory cached in the database, and the users of the rules (a rules user replaces the synced
 * one with the same id).
 */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('Bitrix24 users and departments cached by the connector');

  users
    .command('sync')
    .description('sync users and departments from Bitrix24 now (through the running service)')
    .option('--url <url>', 'the running service (default http://127.0.0.1:PORT)')
    .action(async (opts: { url?: string }) => {
      const env = loadEnv();
      if (!env.ADMIN_TOKEN) throw new CliFailure('users sync needs ADMIN_TOKEN (the running service\'s admin token)', 2);
      const base = (opts.url ?? defaultServiceUrl(env)).replace(/\/+$/, '');
      let res: Response;
      try {
        res = await fetch(`${base}/admin/users/sync`, { method: 'POST', headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
        throw new CliFailure(`the connector is not reachable at ${base} (${cause}); is it running?`);
      }
      const body = (await res.json().catch(() => ({}))) as { users?: number; departments?: number; message?: string; error?: string };
      if (!res.ok) throw new CliFailure(`user sync failed: HTTP ${res.status} ${body.message ?? body.error ?? ''}`.trim());
      process.stdout.write(`synced ${body.users ?? 0} users, ${body.departments ?? 0} departments\n`);
    });

  users
    .command('list')
    .description('list the users routing knows: the synced Bitrix24 directory and the rules\' users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const env = loadEnv();
      const loaded = loadRules(env.RULES_DIR, { defaultCountry: env.DEFAULT_COUNTRY });
      const rules = loaded.ok ? loaded.rules : null;
      const db = openDb({ url: env.DATABASE_URL });
      try {
        await ensureMigrated(db);
        const directory = await new B24DirectoryRepository(db).load();
        if (opts.json) {
          const fromRules = rules ? { users: rules.users, departments: rules.departments.map((d) => ({ id: d.id, name: d.name })) } : { errors: loaded.ok ? [] : loaded.errors };
          process.stdout.write(`${JSON.stringify({ directory, rules: fromRules }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`Bitrix24 directory (synced from the portal): ${directory.users.length} users, ${directory.departments.length} departments\n`);
        for (const u of directory.users) {
          process.stdout.write(`  ${u.id}\t${u.extension ?? '-'}\t${u.departments.join(',') || '-'}\t${u.active ? '' : '(inactive) '}${u.name ?? ''}\n`);
        }
        if (!rules) {
          process.stdout.write(`rules (${env.RULES_DIR}): do not load (${loaded.ok ? 0 : loaded.errors.length} error(s)); \`b24pbx route check-rules\` lists them\n`);
          return;
        }
        process.stdout.write(`rules (${env.RULES_DIR}): ${rules.users.length} users, ${rules.departments.length} departments; a rules user replaces the synced one with the same id\n`);
        for (const u of rules.users) {
          process.stdout.write(`  ${u.id}\t${u.extension ?? '-'}\t${u.departments.join(',') || '-'}\t${u.name ?? ''}\n`);
        }
      } finally {
        await db.destroy();
      }
    });
}
