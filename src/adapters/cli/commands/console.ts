import readline from 'node:readline';
import type { Command } from 'commander';
import { loadEnv } from '../../../config/env.ts';
import { saveConsoleUser } from '../../../composition/console.ts';
import { CONSOLE_ROLES, type ConsoleRole } from '../../../app/console/ports.ts';
import { migrateLatest, openDb } from '../../db/connection.ts';
import { CliFailure } from '../failure.ts';

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD = 10;

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(question);
    // Everything typed after the question is swallowed: the password never shows.
    out._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new CliFailure('cancelled', 1));
    });
  });
}

/** The first line of standard input (a password piped in: `printf '%s\n' "$PW" | b24pbx console add-user …`). */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** The password: asked twice on a terminal, else read from standard input — never from argv. */
export async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden('password: ');
    const again = await promptHidden('again: ');
    if (first !== again) throw new CliFailure('console add-user: the two passwords differ; nothing changed', 1);
    return first;
  }
  return firstLineOfStdin();
}

export function registerConsoleCommands(program: Command): void {
  const group = program.command('console').description('the web console at /console: its accounts');

  group
    .command('add-user <name>')
    .description('create a console account, or set a new password and role on an existing one (the password is asked, or read from stdin)')
    .option('--role <role>', `${CONSOLE_ROLES.join(' | ')}`, 'viewer')
    .action(async (name: string, opts: { role: string }) => {
      if (!NAME.test(name)) throw new CliFailure(`console add-user: "${name}" is not a valid name (1–64 of A–Z a–z 0–9 . _ @ -)`, 2);
      if (!(CONSOLE_ROLES as readonly string[]).includes(opts.role)) throw new CliFailure(`console add-user: --role must be ${CONSOLE_ROLES.join(' or ')} (got "${opts.role}")`, 2);
      const password = await readPassword();
      if (password.length < MIN_PASSWORD) throw new CliFailure(`console add-user: the password must have at least ${MIN_PASSWORD} characters; nothing changed`, 1);
      const env = loadEnv();
      const db = openDb({ url: env.DATABASE_URL });
      try {
        await migrateLatest(db);
        const result = await saveConsoleUser(db, { name, role: opts.role as ConsoleRole, password });
        process.stdout.write(result === 'created' ? `console user ${name} (${opts.role}) created\n` : `console user ${name}: password and role (${opts.role}) updated; its sessions ended\n`);
      } finally {
        await db.destroy();
      }
    });
}
