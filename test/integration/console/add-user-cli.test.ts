import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateLatest, openDb } from '../../../src/adapters/db/connection.ts';
import { ConsoleAccountsRepository, ConsoleAuditRepository } from '../../../src/adapters/db/repositories/console-repository.ts';
import { scryptHasher } from '../../../src/adapters/security/password-hash.ts';
import { tempSqliteDb } from '../../support/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The CLI as a process, the password piped to its standard input. */
function cli(args: string[], stdin: string, databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/b24pbx.js'), ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npx b24pbx console add-user', () => {
  let handle: Awaited<ReturnType<typeof tempSqliteDb>>;
  beforeEach(async () => {
    handle = await tempSqliteDb();
    // The CLI opens its own connection: release ours (SQLite keeps one writer).
    await handle.db.destroy();
  });
  afterEach(async () => {
    await handle.close().catch(() => undefined);
  });

  async function stored(name: string): Promise<{ role: string; hash: string; audit: string[] } | null> {
    const db = openDb({ url: handle.url });
    try {
      await migrateLatest(db);
      const user = await new ConsoleAccountsRepository(db).findUser(name);
      const audit = (await new ConsoleAuditRepository(db).list(10)).map((e) => `${e.userName} ${e.action} ${e.target ?? ''} ${e.detail ?? ''}`.trim());
      return user ? { role: user.role, hash: user.passwordHash, audit } : null;
    } finally {
      await db.destroy();
    }
  }

  it('creates an account from a password on stdin, hashed, never stored as given; a second run changes role and password', async () => {
    const created = await cli(['console', 'add-user', 'anna', '--role', 'admin'], 'correct horse battery\n', handle.url);
    expect(created).toMatchObject({ code: 0, stdout: 'console user anna (admin) created\n' });
    const first = await stored('anna');
    expect(first?.role).toBe('admin');
    expect(first?.hash).not.toContain('correct horse');
    expect(await scryptHasher().verify(first!.hash, 'correct horse battery')).toBe(true);
    expect(await scryptHasher().verify(first!.hash, 'correct horse battery!')).toBe(false);

    const updated = await cli(['console', 'add-user', 'anna', '--role', 'viewer'], 'another long password\n', handle.url);
    expect(updated.code).toBe(0);
    const second = await stored('anna');
    expect(second?.role).toBe('viewer');
    expect(await scryptHasher().verify(second!.hash, 'another long password')).toBe(true);
    expect(second?.audit).toEqual(['cli user-update anna role viewer', 'cli user-add anna role admin']);
    // Four processes and six full-cost scrypt hashes on a shared 2-core machine.
  }, 90_000);

  it('refuses a short password, a bad role and a bad name, and changes nothing', async () => {
    const short = await cli(['console', 'add-user', 'anna', '--role', 'admin'], 'short\n', handle.url);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 10 characters');
    const role = await cli(['console', 'add-user', 'anna', '--role', 'root'], 'correct horse battery\n', handle.url);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role must be admin or viewer (got "root")');
    const name = await cli(['console', 'add-user', 'an na', '--role', 'admin'], 'correct horse battery\n', handle.url);
    expect(name.code).toBe(2);
    expect(await stored('anna')).toBeNull();
  });

  it('has no way to give the password on the command line', async () => {
    const res = await cli(['console', 'add-user', 'anna', '--password', 'correct horse battery'], '', handle.url);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unknown option '--password'");
  });
});
