import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { ensureMigrated, openDb } from '../../db/connection.ts';
import { previewPortalReset, resetPortal, type PortalResetReport } from '../../db/repositories/portal-reset.ts';
import { CliFailure } from '../failure.ts';

function describeReset(r: PortalResetReport): string[] {
  const lines: string[] = [];
  if (r.pin) lines.push(`  the pin: portal ${r.pin.host}, member_id ${r.pin.memberId}`);
  if (r.portal) lines.push(`  the installed portal ${r.portal.domain} (member_id ${r.portal.memberId}) and its OAuth tokens`);
  lines.push(`  the directory synced from it: ${r.users} users, ${r.departments} departments`);
  lines.push(`  the records of ${r.lines} external lines published on it (the lines stay on that portal)`);
  lines.push(`  ${r.queuedWrites} CRM writes queued for it are parked, not sent to the next portal (\`outbox list --state parked\`)`);
  return lines;
}

/** `portal reset [--yes]`: lets go of the pinned portal, so that the app can be installed on another. */
export function registerPortalCommands(program: Command): void {
  const portal = program.command('portal').description('the Bitrix24 portal this connector is pinned to');

  portal
    .command('reset')
    .description('unpin the portal and forget its tokens and directory (then install the app on the new portal)')
    .option('--yes', 'do it (without it, only says what would be removed)')
    .action(async (opts: { yes?: boolean }) => {
      const env = loadEnv();
      const db = openDb({ url: env.DATABASE_URL });
      try {
        await ensureMigrated(db);
        const preview = await previewPortalReset(db);
        if (!preview.pin && !preview.portal) {
          process.stdout.write('no portal is pinned or installed: nothing to reset\n');
          return;
        }
        if (!opts.yes) {
          process.stdout.write(`portal reset would remove:\n${describeReset(preview).join('\n')}\n`);
          throw new CliFailure('nothing removed: run `b24pbx portal reset --yes` to do it');
        }
        const done = await resetPortal(db, Date.now());
        process.stdout.write(`portal reset removed:\n${describeReset(done).join('\n')}\n`);
        process.stdout.write('restart the connector so that it lets go of the old portal, then install the app on the new portal\n');
      } finally {
        await db.destroy();
      }
    });
}
