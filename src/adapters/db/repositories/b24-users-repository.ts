import type { Db } from '../connection.ts';

/** A Bitrix24 employee as synced from user.get. */
export interface DirectoryUser {
  readonly id: string;
  readonly name: string | null;
  readonly extension: string | null;
  readonly departments: readonly string[];
  readonly active: boolean;
}

/** A Bitrix24 department as synced from department.get. */
export interface DirectoryDepartment {
  readonly id: string;
  readonly name: string;
  readonly parent: string | null;
}

export interface Directory {
  readonly users: readonly DirectoryUser[];
  readonly departments: readonly DirectoryDepartment[];
}

/** A line this connector published (only these may ever be deleted by the line sync). */
export interface PublishedLine {
  readonly number: string;
  readonly name: string;
  readonly trunkId: string | null;
}

interface UserRow {
  id: string;
  name: string | null;
  extension: string | null;
  departments: string;
  active: boolean | number;
}

interface DepartmentRow {
  id: string;
  name: string;
  parent: string | null;
}

/** The cached directory (users, departments) and the lines this connector created. */
export class B24DirectoryRepository {
  constructor(private readonly db: Db) {}

  /** Replaces the whole directory in one transaction: readers see the old one or the new one. */
  async replace(directory: Directory, now: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('b24_users').delete();
      await trx('b24_departments').delete();
      const users = directory.users.map((u) => ({
        id: u.id, name: u.name, extension: u.extension, departments: JSON.stringify(u.departments), active: u.active, synced_at: now,
      }));
      const departments = directory.departments.map((d) => ({ id: d.id, name: d.name, parent: d.parent, synced_at: now }));
      // Chunks keep each statement under SQLite's bound-parameter limit.
      for (let i = 0; i < users.length; i += 100) await trx('b24_users').insert(users.slice(i, i + 100));
      for (let i = 0; i < departments.length; i += 100) await trx('b24_departments').insert(departments.slice(i, i + 100));
    });
  }

  async load(): Promise<Directory> {
    const users = await this.db<UserRow>('b24_users').orderBy('id');
    const departments = await this.db<DepartmentRow>('b24_departments').orderBy('id');
    return {
      users: users.map((u) => ({
        id: u.id,
        name: u.name,
        extension: u.extension,
        departments: JSON.parse(u.departments) as string[],
        active: u.active === true || u.active === 1,
      })),
      departments: departments.map((d) => ({ id: d.id, name: d.name, parent: d.parent })),
    };
  }

  async publishedLines(): Promise<PublishedLine[]> {
    const rows = await this.db<{ number: string; name: string; trunk_id: string | null }>('b24_lines').orderBy('number');
    return rows.map((r) => ({ number: r.number, name: r.name, trunkId: r.trunk_id }));
  }

  async savePublishedLine(line: PublishedLine, now: number): Promise<void> {
    await this.db('b24_lines')
      .insert({ number: line.number, name: line.name, trunk_id: line.trunkId, created_at: now })
      .onConflict('number')
      .merge({ name: line.name, trunk_id: line.trunkId });
  }

  async forgetPublishedLine(number: string): Promise<void> {
    await this.db('b24_lines').where({ number }).delete();
  }
}
