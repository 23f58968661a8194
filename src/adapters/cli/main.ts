import { Command, CommanderError } from 'commander';
import { registerCarrierCommands } from './commands/carriers.ts';
import { registerRouteCommands } from './commands/route.ts';
import { registerCallCommands } from './commands/calls.ts';
import { registerOutboxCommands } from './commands/outbox.ts';
import { registerPortalCommands } from './commands/portal.ts';
import { registerUserCommands } from './commands/users.ts';
import { registerRulesCommands } from './commands/rules.ts';
import { CliFailure } from './failure.ts';
import { escapeTerminalOutput } from './terminal-output.ts';
import { terminalSafe } from '../../core/text/printable.ts';
import { loadDotEnv } from '../../config/env.ts';

/**
 * `b24pbx`: the admin CLI. Exit codes: 0 success, 1 refused or invalid input (one-line reason
 * on stderr), 2 usage error.
 */
loadDotEnv();

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

registerCarrierCommands(program);
registerRouteCommands(program);
registerCallCommands(program);
registerOutboxCommands(program);
registerPortalCommands(program);
registerUserCommands(program);
registerRulesCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
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
}
