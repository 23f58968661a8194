import { bucketStarts } from './bucket-starts.ts';

const CODES = 1000;
const MAGIC = 0x31534e50; // "PNS1" little-endian
const HEADER_BYTES = 16;
const BUCKETS_PER_CODE = 1000;
const BUCKET_SPAN = 10_000;
const EMPTY_BUCKETS = new Int32Array(0);

/** Bytes `from`..`to` (exclusive) of a stored snapshot. */
export type SnapshotReader = (from: number, to: number) => Promise<Uint8Array>;

/** A change to the override set: `owner` null removes the number (a returned number). */
export interface PortedChange {
  /** 10-digit national number (code + 7 digits), e.g. 9261234567. */
  readonly number: number;
  readonly owner: string | null;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Columns of a set under construction, laid out in one buffer exactly as the snapshot. */
export interface PortedSetColumns {
  readonly dir: Int32Array;
  readonly rests: Int32Array;
  readonly ownerOrds: Uint16Array;
  /** Freezes the columns into a set (call once every column is filled). */
  finish(): PortedSet;
}

/**
 * Ported-number overrides: for each 3-digit code, the 7-digit remainders sorted in an Int32Array
 * with a parallel Uint16Array of owner ordinals; owners are kept raw (`mMTS`) and mapped to
 * carrier keys when the lookup index is built. 8 M numbers take 48 MB.
 */
export class PortedSet {
  /**
   * Start of each (code, first 3 digits of the remainder) bucket: 10^6 + 1 slots (4 MB). With
   * 8 M numbers a bucket holds about 8, so a lookup touches two or three cache lines instead of
   * a 20-step binary search over megabytes. Derived, not stored in the snapshot.
   */
  private readonly buckets: Int32Array;

  private constructor(
    readonly owners: readonly string[],
    private readonly dir: Int32Array,
    private readonly rests: Int32Array,
    private readonly ownerOrds: Uint16Array,
    /** The snapshot bytes when the columns live in one snapshot-layout buffer: encode() is then free. */
    private readonly snapshot: Uint8Array | null = null,
  ) {
    this.buckets = PortedSet.bucketsOf(dir, rests);
  }

  /**
   * Allocates the columns for `count` numbers inside one buffer in the snapshot layout, so the
   * set can be stored without another copy (8 M numbers: 46 MB once, not twice).
   */
  static allocate(owners: readonly string[], count: number): PortedSetColumns {
    const ownersJson = new TextEncoder().encode(JSON.stringify(owners));
    const dirAt = align4(HEADER_BYTES + ownersJson.length);
    const restsAt = dirAt + (CODES + 1) * 4;
    const ordsAt = restsAt + count * 4;
    const bytes = new Uint8Array(ordsAt + count * 2);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, 1, true);
    view.setUint32(8, ownersJson.length, true);
    view.setUint32(12, count, true);
    bytes.set(ownersJson, HEADER_BYTES);
    const dir = new Int32Array(bytes.buffer, dirAt, CODES + 1);
    const rests = new Int32Array(bytes.buffer, restsAt, count);
    const ownerOrds = new Uint16Array(bytes.buffer, ordsAt, count);
    return {
      dir, rests, ownerOrds,
      finish: () => {
        if (dir[CODES] !== count) throw new RangeError('ported set: directory does not cover every number');
        return new PortedSet([...owners], dir, rests, ownerOrds, bytes);
      },
    };
  }

  private static bucketsOf(dir: Int32Array, rests: Int32Array): Int32Array {
    return rests.length === 0 ? EMPTY_BUCKETS : bucketStarts(dir, rests, CODES, BUCKETS_PER_CODE, BUCKET_SPAN);
  }

  static readonly EMPTY = new PortedSet([], new Int32Array(CODES + 1), new Int32Array(0), new Uint16Array(0));

  /** Assembles a set from per-code sorted, duplicate-free columns (used by the builder and decoder). */
  static fromColumns(owners: readonly string[], dir: Int32Array, rests: Int32Array, ownerOrds: Uint16Array): PortedSet {
    if (dir.length !== CODES + 1 || rests.length !== ownerOrds.length || dir[CODES] !== rests.length) {
      throw new RangeError('ported set: inconsistent columns');
    }
    return new PortedSet(owners, dir, rests, ownerOrds);
  }

  get size(): number {
    return this.rests.length;
  }

  /** Owner ordinal of the number, or -1 when it is not ported. */
  find(code: number, rest: number): number {
    if (this.rests.length === 0) return -1;
    const bucket = code * BUCKETS_PER_CODE + ((rest / BUCKET_SPAN) | 0);
    let lo = this.buckets[bucket]!;
    let hi = this.buckets[bucket + 1]! - 1;
    const rests = this.rests;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = rests[mid]!;
      if (v < rest) lo = mid + 1;
      else if (v > rest) hi = mid - 1;
      else return this.ownerOrds[mid]!;
    }
    return -1;
  }

  /** Owner of a 10-digit national number, or null. */
  ownerOf(number: number): string | null {
    const code = Math.floor(number / 1e7);
    const ord = this.find(code, number - code * 1e7);
    return ord < 0 ? null : this.owners[ord]!;
  }

  /** Counts of numbers per owner id. */
  countByOwner(): Map<string, number> {
    const counts = new Array<number>(this.owners.length).fill(0);
    for (let i = 0; i < this.ownerOrds.length; i++) counts[this.ownerOrds[i]!]!++;
    return new Map(this.owners.map((o, i) => [o, counts[i]!] as const));
  }

  /**
   * A new set with `changes` applied in order (the last change of a number wins; a null owner
   * removes it). The set itself is immutable.
   */
  apply(changes: readonly PortedChange[]): { set: PortedSet; added: number; updated: number; removed: number } {
    const owners = [...this.owners];
    const ownerIndex = new Map(owners.map((o, i) => [o, i] as const));
    const perCode = new Map<number, Map<number, number>>();
    for (const c of changes) {
      const code = Math.floor(c.number / 1e7);
      let m = perCode.get(code);
      if (!m) perCode.set(code, (m = new Map()));
      let ord = -1;
      if (c.owner !== null) {
        const known = ownerIndex.get(c.owner);
        if (known === undefined) {
          ord = owners.length;
          owners.push(c.owner);
          ownerIndex.set(c.owner, ord);
        } else ord = known;
      }
      m.set(c.number - code * 1e7, ord);
    }
    if (owners.length > 0xffff) throw new RangeError('ported set: more than 65535 distinct owners');
    let added = 0;
    let updated = 0;
    let removed = 0;
    const dir = new Int32Array(CODES + 1);
    const outRests: Int32Array[] = [];
    const outOwners: Uint16Array[] = [];
    let total = 0;
    for (let code = 0; code < CODES; code++) {
      const start = this.dir[code]!;
      const end = this.dir[code + 1]!;
      const changed = perCode.get(code);
      if (!changed) {
        outRests.push(this.rests.subarray(start, end));
        outOwners.push(this.ownerOrds.subarray(start, end));
        total += end - start;
        dir[code + 1] = total;
        continue;
      }
      const keys = Float64Array.from(changed.keys()).sort();
      const rests = new Int32Array(end - start + keys.length);
      const ords = new Uint16Array(rests.length);
      let i = start;
      let k = 0;
      let o = 0;
      while (i < end || k < keys.length) {
        const existing = i < end ? this.rests[i]! : Infinity;
        const change = k < keys.length ? keys[k]! : Infinity;
        if (existing < change) {
          rests[o] = existing;
          ords[o++] = this.ownerOrds[i++]!;
          continue;
        }
        const ord = changed.get(change)!;
        if (existing === change) {
          i++;
          if (ord < 0) removed++;
          else updated++;
        } else if (ord >= 0) added++;
        k++;
        if (ord >= 0) {
          rests[o] = change;
          ords[o++] = ord;
        }
      }
      outRests.push(rests.subarray(0, o));
      outOwners.push(ords.subarray(0, o));
      total += o;
      dir[code + 1] = total;
    }
    const out = PortedSet.allocate(owners, total);
    out.dir.set(dir);
    let at = 0;
    for (let c = 0; c < CODES; c++) {
      out.rests.set(outRests[c]!, at);
      out.ownerOrds.set(outOwners[c]!, at);
      at += outRests[c]!.length;
    }
    return { set: out.finish(), added, updated, removed };
  }

  /**
   * The compact binary snapshot: a 16-byte header (magic, version, owners JSON length, count),
   * the owners as UTF-8 JSON, then the directory, the remainders and the owner ordinals.
   */
  encode(): Uint8Array {
    if (this.snapshot) return this.snapshot;
    const ownersJson = new TextEncoder().encode(JSON.stringify(this.owners));
    const dirAt = align4(HEADER_BYTES + ownersJson.length);
    const restsAt = dirAt + this.dir.byteLength;
    const ordsAt = restsAt + this.rests.byteLength;
    const out = new Uint8Array(ordsAt + this.ownerOrds.byteLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, 1, true);
    view.setUint32(8, ownersJson.length, true);
    view.setUint32(12, this.rests.length, true);
    out.set(ownersJson, HEADER_BYTES);
    out.set(new Uint8Array(this.dir.buffer, this.dir.byteOffset, this.dir.byteLength), dirAt);
    out.set(new Uint8Array(this.rests.buffer, this.rests.byteOffset, this.rests.byteLength), restsAt);
    out.set(new Uint8Array(this.ownerOrds.buffer, this.ownerOrds.byteOffset, this.ownerOrds.byteLength), ordsAt);
    return out;
  }

  /**
   * The numbers of `codes` only, read from a stored snapshot of `size` bytes through `read`: a
   * one-off lookup reads the header, the directory and its code's slices (a few hundred KB)
   * instead of the whole set (48 MB for 8 M numbers).
   */
  static async decodeCodes(read: SnapshotReader, size: number, codes: readonly number[]): Promise<PortedSet> {
    const head = await read(0, HEADER_BYTES);
    if (head.length !== HEADER_BYTES) throw new RangeError('ported snapshot: truncated header');
    const view = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
    if (view.getUint32(0, true) !== MAGIC) throw new RangeError('ported snapshot: bad magic');
    if (view.getUint32(4, true) !== 1) throw new RangeError(`ported snapshot: unsupported version ${view.getUint32(4, true)}`);
    const ownersLen = view.getUint32(8, true);
    const count = view.getUint32(12, true);
    const dirAt = align4(HEADER_BYTES + ownersLen);
    const restsAt = dirAt + (CODES + 1) * 4;
    const ordsAt = restsAt + count * 4;
    if (size !== ordsAt + count * 2) throw new RangeError(`ported snapshot: expected ${ordsAt + count * 2} bytes, got ${size}`);
    const meta = await read(HEADER_BYTES, restsAt);
    const owners = JSON.parse(new TextDecoder().decode(meta.subarray(0, ownersLen))) as string[];
    const stored = new Int32Array(CODES + 1);
    new Uint8Array(stored.buffer).set(meta.subarray(dirAt - HEADER_BYTES, restsAt - HEADER_BYTES));
    if (stored[CODES] !== count) throw new RangeError('ported snapshot: inconsistent directory');

    const wanted = new Set(codes.filter((c) => Number.isInteger(c) && c >= 0 && c < CODES));
    const dir = new Int32Array(CODES + 1);
    for (let c = 0; c < CODES; c++) dir[c + 1] = dir[c]! + (wanted.has(c) ? stored[c + 1]! - stored[c]! : 0);
    const rests = new Int32Array(dir[CODES]!);
    const ords = new Uint16Array(dir[CODES]!);
    for (const c of wanted) {
      const from = stored[c]!;
      const n = stored[c + 1]! - from;
      if (n === 0) continue;
      // Copied byte for byte into the columns: the slices come unaligned from the reader.
      new Uint8Array(rests.buffer, dir[c]! * 4, n * 4).set(await read(restsAt + from * 4, restsAt + (from + n) * 4));
      new Uint8Array(ords.buffer, dir[c]! * 2, n * 2).set(await read(ordsAt + from * 2, ordsAt + (from + n) * 2));
    }
    return PortedSet.fromColumns(owners, dir, rests, ords);
  }

  /** Reads a snapshot written by `encode` (views into `bytes` when aligned: no copy). */
  static decode(input: Uint8Array): PortedSet {
    const bytes = input.byteOffset % 4 === 0 ? input : input.slice();
    if (bytes.length < HEADER_BYTES) throw new RangeError('ported snapshot: truncated header');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== MAGIC) throw new RangeError('ported snapshot: bad magic');
    if (view.getUint32(4, true) !== 1) throw new RangeError(`ported snapshot: unsupported version ${view.getUint32(4, true)}`);
    const ownersLen = view.getUint32(8, true);
    const count = view.getUint32(12, true);
    const dirAt = align4(HEADER_BYTES + ownersLen);
    const restsAt = dirAt + (CODES + 1) * 4;
    const ordsAt = restsAt + count * 4;
    if (bytes.length !== ordsAt + count * 2) throw new RangeError(`ported snapshot: expected ${ordsAt + count * 2} bytes, got ${bytes.length}`);
    const owners = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + ownersLen))) as string[];
    const base = bytes.byteOffset;
    const dir = new Int32Array(bytes.buffer, base + dirAt, CODES + 1);
    const rests = new Int32Array(bytes.buffer, base + restsAt, count);
    const ords = new Uint16Array(bytes.buffer, base + ordsAt, count);
    if (dir.length !== CODES + 1 || dir[CODES] !== count) throw new RangeError('ported snapshot: inconsistent directory');
    return new PortedSet(owners, dir, rests, ords, bytes);
  }
}
