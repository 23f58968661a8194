import type { Db } from '../connection.ts';
import type { SnapshotReader } from '../../../core/numbering/ported-set.ts';
import { lockForWrite } from './numbering-plan-repository.ts';

export type PortedImportMode = 'full' | 'increment' | 'returned';

export interface PortedSnapshotMeta {
  readonly id: number;
  readonly importedAt: number;
  readonly mode: PortedImportMode;
  readonly file: string;
  readonly sha256: string;
  /** Data rows in the imported file. */
  readonly rows: number;
  /** Numbers in the override set after the import. */
  readonly numbers: number;
  readonly bytes: number;
  readonly active: boolean;
}

interface SnapshotRow {
  id: number | string;
  imported_at: number | string;
  mode: string;
  file: string;
  sha256: string;
  rows: number | string;
  numbers: number | string;
  bytes: number | string;
  active: boolean | number;
}

function toMeta(r: SnapshotRow): PortedSnapshotMeta {
  return {
    id: Number(r.id),
    importedAt: Number(r.imported_at),
    mode: r.mode as PortedImportMode,
    file: r.file,
    sha256: r.sha256,
    rows: Number(r.rows),
    numbers: Number(r.numbers),
    bytes: Number(r.bytes),
    active: r.active === true || r.active === 1,
  };
}

// 256 KiB chunks: a one-off lookup reads a few of them (SQLite reads a whole blob even for a
// substr of it), while loading the whole set (48 MB for 8 M numbers) is about 200 rows. Snapshots
// stored with larger chunks read the same, only slower.
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

/**
 * The ported-number override set, persisted as one binary snapshot split into chunks. Only the
 * active snapshot keeps its data; older rows stay as history (file, sha256, counts).
 */
export class PortedRepository {
  constructor(private readonly db: Db, private readonly chunkBytes: number = SNAPSHOT_CHUNK_BYTES) {}

  async save(bytes: Uint8Array, meta: Omit<PortedSnapshotMeta, 'id' | 'bytes' | 'active'>): Promise<PortedSnapshotMeta> {
    return this.db.transaction(async (trx) => {
      await lockForWrite(trx, 'ported_snapshots');
      const res = await trx('ported_snapshots').insert({
        imported_at: meta.importedAt, mode: meta.mode, file: meta.file, sha256: meta.sha256,
        rows: meta.rows, numbers: meta.numbers, bytes: bytes.length, active: false,
      }, ['id']);
      const first = (res as unknown[])[0];
      const id = Number(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
      for (let seq = 0, at = 0; at < bytes.length || seq === 0; seq++, at += this.chunkBytes) {
        const part = bytes.subarray(at, Math.min(bytes.length, at + this.chunkBytes));
        await trx('ported_snapshot_chunks').insert({ snapshot_id: id, seq, data: Buffer.from(part.buffer, part.byteOffset, part.byteLength) });
      }
      const old = trx('ported_snapshots').select('id').whereNot({ id });
      await trx('ported_snapshot_chunks').whereIn('snapshot_id', old).delete();
      await trx('ported_snapshots').update({ active: false }).whereNot({ id });
      await trx('ported_snapshots').update({ active: true }).where({ id });
      const row = await trx<SnapshotRow>('ported_snapshots').where({ id }).first();
      return toMeta(row!);
    });
  }

  async activeMeta(): Promise<PortedSnapshotMeta | null> {
    const row = await this.db<SnapshotRow>('ported_snapshots').where({ active: true }).first();
    return row ? toMeta(row) : null;
  }

  /** The active snapshot's bytes, read chunk by chunk into one buffer (no double copy of 48 MB). */
  async loadActive(): Promise<{ meta: PortedSnapshotMeta; bytes: Uint8Array } | null> {
    const meta = await this.activeMeta();
    if (!meta) return null;
    const bytes = new Uint8Array(meta.bytes);
    let at = 0;
    for (let seq = 0; at < meta.bytes; seq++) {
      const row = await this.db('ported_snapshot_chunks').select('data').where({ snapshot_id: meta.id, seq }).first() as { data: Buffer } | undefined;
      if (!row) throw new Error(`ported snapshot ${meta.id}: chunk ${seq} is missing`);
      bytes.set(row.data, at);
      at += row.data.length;
    }
    if (at !== meta.bytes) throw new Error(`ported snapshot ${meta.id}: expected ${meta.bytes} bytes, read ${at}`);
    return { meta, bytes };
  }

  /**
   * A reader of the active snapshot's bytes that fetches only the ranges asked for (SQL substr of
   * the chunks they fall in), for a lookup that needs one code's slice of the set.
   */
  async activeReader(): Promise<{ meta: PortedSnapshotMeta; read: SnapshotReader } | null> {
    const meta = await this.activeMeta();
    if (!meta) return null;
    const sizes = await this.db('ported_snapshot_chunks').select('seq', this.db.raw('length(data) as n'))
      .where({ snapshot_id: meta.id }).orderBy('seq') as { seq: number | string; n: number | string }[];
    const chunks: { seq: number; at: number; n: number }[] = [];
    let at = 0;
    for (const c of sizes) {
      chunks.push({ seq: Number(c.seq), at, n: Number(c.n) });
      at += Number(c.n);
    }
    if (at !== meta.bytes) throw new Error(`ported snapshot ${meta.id}: expected ${meta.bytes} bytes, stored ${at}`);
    const read: SnapshotReader = async (from, to) => {
      const out = new Uint8Array(Math.max(0, to - from));
      for (const c of chunks) {
        const start = Math.max(from, c.at);
        const end = Math.min(to, c.at + c.n);
        if (start >= end) continue;
        const row = await this.db('ported_snapshot_chunks').select(this.db.raw('substr(data, ?, ?) as part', [start - c.at + 1, end - start]))
          .where({ snapshot_id: meta.id, seq: c.seq }).first() as { part: Buffer } | undefined;
        if (!row || row.part.length !== end - start) throw new Error(`ported snapshot ${meta.id}: chunk ${c.seq} is shorter than its length`);
        out.set(row.part, start - from);
      }
      return out;
    };
    return { meta, read };
  }

  /** Import history, newest first. */
  async history(): Promise<PortedSnapshotMeta[]> {
    const rows = await this.db<SnapshotRow>('ported_snapshots').orderBy('id', 'desc');
    return rows.map(toMeta);
  }
}
