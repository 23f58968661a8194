import type { B24DirectoryRepository, Directory, DirectoryDepartment, DirectoryUser } from '../../adapters/db/repositories/b24-users-repository.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import type { CrmClock } from './clock.ts';

const PAGE = 50;
const MAX_PAGES = 2000;

export class SyncError extends Error {}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number') return String(v);
  return null;
}

function ids(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => text(x)).filter((x): x is string => x !== null);
  const one = text(v);
  return one === null ? [] : [one];
}

/** Reads every page of a list method (`start` = 0, 50, 100 … while the answer says there is more). */
async function allPages(gateway: B24Gateway, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let page = 0, start = 0; page < MAX_PAGES; page++, start += PAGE) {
    const res = await gateway.call(method, { ...params, start });
    if (!res.ok) throw new SyncError(`${method} (start ${start}): ${describeFailure(res.error)}`);
    const batch = Array.isArray(res.result) ? (res.result as Record<string, unknown>[]) : [];
    rows.push(...batch);
    if (!res.more || batch.length === 0) break;
  }
  return rows;
}

export function toDirectoryUser(row: Record<string, unknown>): DirectoryUser | null {
  const id = text(row.ID);
  if (id === null) return null;
  const name = [text(row.NAME), text(row.LAST_NAME)].filter(Boolean).join(' ') || null;
  return {
    id,
    name,
    extension: text(row.UF_PHONE_INNER),
    departments: ids(row.UF_DEPARTMENT),
    active: row.ACTIVE === undefined ? true : row.ACTIVE === true || row.ACTIVE === 'Y' || row.ACTIVE === 'true' || row.ACTIVE === 1,
  };
}

export function toDirectoryDepartment(row: Record<string, unknown>): DirectoryDepartment | null {
  const id = text(row.ID);
  if (id === null) return null;
  return { id, name: text(row.NAME) ?? `department ${id}`, parent: text(row.PARENT) };
}

/** user.get (active employees, UF_PHONE_INNER, UF_DEPARTMENT) and department.get, all pages. */
export async function fetchDirectory(gateway: B24Gateway): Promise<Directory> {
  const users = (await allPages(gateway, 'user.get', { FILTER: { ACTIVE: true } }))
    .map(toDirectoryUser)
    .filter((u): u is DirectoryUser => u !== null);
  const departments = (await allPages(gateway, 'department.get', {}))
    .map(toDirectoryDepartment)
    .filter((d): d is DirectoryDepartment => d !== null);
  return { users, departments };
}

export interface UserSyncOptions {
  readonly gateway: () => B24Gateway | null;
  readonly repo: B24DirectoryRepository;
  readonly clock: CrmClock;
  /** Called with the new directory (the composition root rebuilds the routing rules). */
  readonly onSynced?: (directory: Directory) => void | Promise<void>;
}

/** Refreshes the cached directory: on a schedule (B24_USER_SYNC_CRON), on demand, after install. */
export class UserSync {
  private running: Promise<{ users: number; departments: number }> | null = null;

  constructor(private readonly o: UserSyncOptions) {}

  run(): Promise<{ users: number; departments: number }> {
    if (this.running) return this.running;
    this.running = (async () => {
      const gateway = this.o.gateway();
      if (!gateway) throw new SyncError('no Bitrix24 portal is connected');
      const directory = await fetchDirectory(gateway);
      await this.o.repo.replace(directory, this.o.clock.now());
      await this.o.onSynced?.(directory);
      return { users: directory.users.length, departments: directory.departments.length };
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
