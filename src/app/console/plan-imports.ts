import type { AuditLog, ConsoleUser, NumberingPort } from './ports.ts';

export type PlanImportState = 'receiving' | 'importing' | 'done' | 'failed';

/** What the page polls: where an import is, in bytes read of all its files. */
export interface PlanImportView {
  readonly id: string;
  readonly state: PlanImportState;
  readonly files: readonly string[];
  readonly done: number;
  readonly total: number;
  /** The new version once done; the reason once failed (the active plan is then unchanged). */
  readonly version: number | null;
  readonly rows: number | null;
  readonly message: string | null;
}

/** Where uploaded files wait for their import: one directory per import, removed after it. */
export interface UploadArea {
  newDir(): Promise<string>;
  remove(dir: string): Promise<void>;
}

interface Job {
  id: string;
  by: string;
  dir: string;
  state: PlanImportState;
  files: { name: string; path: string }[];
  done: number;
  total: number;
  version: number | null;
  rows: number | null;
  message: string | null;
  finishedAt: number | null;
}

const KEEP_MS = 3_600_000;
const SAFE_NAME = /^[\p{L}\p{N}._ -]{1,120}$/u;

/** Thrown for a step the import cannot take now; the message is shown as is. */
export class PlanImportRefusal extends Error {}

/**
 * Numbering-plan imports started from the console: files arrive one by one, then one import of
 * them all runs in the background while the page polls its progress. One import at a time; each
 * is audited with who started it and what came of it; finished ones are forgotten after an hour.
 */
export class PlanImports {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly d: {
    readonly numbering: NumberingPort;
    readonly uploads: UploadArea;
    readonly audit: AuditLog;
    readonly token: () => string;
    readonly now: () => number;
  }) {}

  async create(by: ConsoleUser): Promise<PlanImportView> {
    this.forgetOld();
    const job: Job = { id: this.d.token().slice(0, 16), by: by.name, dir: await this.d.uploads.newDir(), state: 'receiving', files: [], done: 0, total: 0, version: null, rows: null, message: null, finishedAt: null };
    this.jobs.set(job.id, job);
    return view(job);
  }

  /** Where the adapter writes a file of this import (its name checked: no paths, no odd characters). */
  fileTarget(id: string, name: string, by: ConsoleUser): string {
    const job = this.owned(id, by);
    if (job.state !== 'receiving') throw new PlanImportRefusal(`import ${id} is ${job.state}: no more files`);
    if (!SAFE_NAME.test(name) || name.startsWith('.')) throw new PlanImportRefusal(`file name "${name}": use letters, digits, dot, dash, underscore and space only`);
    if (job.files.some((f) => f.name === name)) throw new PlanImportRefusal(`file ${name} was already sent`);
    const path = `${job.dir}/${name}`;
    job.files.push({ name, path });
    return path;
  }

  /** Forgets a file whose upload broke off (the adapter removes what was written). */
  dropFile(id: string, name: string): void {
    const job = this.jobs.get(id);
    if (job && job.state === 'receiving') job.files = job.files.filter((f) => f.name !== name);
  }

  /** Starts the import of the files received; returns at once, the page polls `view`. */
  start(id: string, force: boolean, by: ConsoleUser): PlanImportView {
    const job = this.owned(id, by);
    if (job.state !== 'receiving') throw new PlanImportRefusal(`import ${id} is ${job.state}`);
    if (job.files.length === 0) throw new PlanImportRefusal('no files were sent');
    if ([...this.jobs.values()].some((j) => j.state === 'importing')) throw new PlanImportRefusal('another import is running: wait for it to finish');
    job.state = 'importing';
    void this.run(job, force);
    return view(job);
  }

  view(id: string): PlanImportView | null {
    const job = this.jobs.get(id);
    return job ? view(job) : null;
  }

  private async run(job: Job, force: boolean): Promise<void> {
    try {
      const r = await this.d.numbering.importFiles(job.files, { force, onProgress: (done, total) => { job.done = done; job.total = total; } });
      Object.assign(job, { state: 'done', version: r.version, rows: r.rows, done: job.total, message: r.forced });
      await this.d.audit.record({ at: this.d.now(), userName: job.by, action: 'plan-import', target: `plan v${r.version}`, detail: `${job.files.map((f) => f.name).join(', ')}: ${r.rows} rows, ${r.numbers} numbers${r.forced ? `; forced past: ${r.forced}` : ''}` });
    } catch (err) {
      // Paths of the upload area mean nothing to the admin: the file names do.
      const message = (err as Error).message.split(`${job.dir}/`).join('');
      Object.assign(job, { state: 'failed', message });
      await this.d.audit.record({ at: this.d.now(), userName: job.by, action: 'plan-import-refused', target: job.files.map((f) => f.name).join(', '), detail: message }).catch(() => undefined);
    } finally {
      job.finishedAt = this.d.now();
      await this.d.uploads.remove(job.dir).catch(() => undefined);
    }
  }

  private owned(id: string, by: ConsoleUser): Job {
    const job = this.jobs.get(id);
    if (!job || job.by !== by.name) throw new PlanImportRefusal(`no import ${id} of yours`);
    return job;
  }

  private forgetOld(): void {
    const now = this.d.now();
    for (const [id, j] of this.jobs) {
      if (j.finishedAt !== null && now - j.finishedAt > KEEP_MS) this.jobs.delete(id);
    }
  }
}

function view(j: Job): PlanImportView {
  return { id: j.id, state: j.state, files: j.files.map((f) => f.name), done: j.done, total: j.total, version: j.version, rows: j.rows, message: j.message };
}
