import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { migrateLatest, openDb } from '../../db/connection.ts';
import { B24DirectoryRepository } from '../../db/repositories/b24-users-repository.ts';
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
 * `users list`: the cached directory, read from the database.
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
    .description('list the cached users (id, extension, departments)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const env = loadEnv();
      const db = openDb({ url: env.DATABASE_URL });
      try {
        await migrateLatest(db);
        const directory = await new B24DirectoryRepository(db).load();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(directory, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${directory.users.length} users, ${directory.departments.length} departments\n`);
        for (const u of directory.users) {
          process.stdout.write(`${u.id}\t${u.extension ?? '-'}\t${u.departments.join(',') || '-'}\t${u.active ? '' : '(inactive) '}${u.name ?? ''}\n`);
        }
      } finally {
        await db.destroy();
      }
    });
}
