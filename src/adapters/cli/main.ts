import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { CliFailure } from './failure.ts';
import { escapeTerminalOutput } from './terminal-output.ts';
import { terminalSafe } from '../../core/text/printable.ts';
import { loadDotEnv } from '../../config/env.ts';
import { useDerivedCache } from '../../config/derived-cache.ts';

/**
 * `b24pbx`: the admin CLI. Exit codes: 0 success, 1 refused or invalid input (one-line reason
 * on stderr), 2 usage error.
 */
loadDotEnv();
// Run from the bundle (bin/run-cached.js): the validated rules are kept beside its code cache.
const build = (globalThis as { b24pbxBuild?: { readonly cacheDir: string; readonly id: string } }).b24pbxBuild;
if (build) useDerivedCache(path.join(build.cacheDir, 'derived'), build.id);
// A command validates a few documents once: zod's compiled parsers would cost more to build than they save.
z.config({ jitless: true });

const program = new Command('b24pbx')
  .description('Bitrix24 ⇄ Asterisk connector: admin commands')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str) });

/**
 * A reader that goes away early (`b24pbx carriers history | head`) closes the pipe: stop writing
 * quietly instead of crashing with a stack trace, and let the command finish with its own exit code
 * (an import already committed stays committed; the database is still closed properly).
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || (closed && err.code === 'ERR_STREAM_DESTROYED')) {
      closed = true;
      return;
    }
    throw err;
  });
}
ignoreClosedPipe(process.stdout);
ignoreClosedPipe(process.stderr);
// stderr stays raw for the progress bar's own controls; its messages are escaped below.
escapeTerminalOutput(process.stdout);

// A command loads only its own group's modules: a cold `carriers lookup` does not pay for the rest.
const groups: Readonly<Record<string, () => Promise<(program: Command) => void>>> = {
  carriers: async () => (await import('./commands/carriers.ts')).registerCarrierCommands,
  route: async () => (await import('./commands/route.ts')).registerRouteCommands,
  calls: async () => (await import('./commands/calls.ts')).registerCallCommands,
  outbox: async () => (await import('./commands/outbox.ts')).registerOutboxCommands,
  users: async () => (await import('./commands/users.ts')).registerUserCommands,
  portal: async () => (await import('./commands/portal.ts')).registerPortalCommands,
  rules: async () => (await import('./commands/rules.ts')).registerRulesCommands,
  report: async () => (await import('./commands/report.ts')).registerReportCommands,
  dialer: async () => (await import('./commands/dialer.ts')).registerDialerCommands,
  inbound: async () => (await import('./commands/inbound.ts')).registerInboundCommands,
  console: async () => (await import('./commands/console.ts')).registerConsoleCommands,
};

async function main(): Promise<void> {
  const named = process.argv[2] ?? '';
  for (const load of Object.hasOwn(groups, named) ? [groups[named]!] : Object.values(groups)) (await load())(program);
  await program.parseAsync(process.argv);
}

// No top-level await: the shipped CLI is one CommonJS bundle (see scripts/bundle.mjs).
main().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; everything else commander rejects is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliFailure) {
    process.stderr.write(`${terminalSafe(err.message)}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`error: ${terminalSafe(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = 1;
  }
});
