import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DialJournal, NewCall } from '../../app/calls/ports.ts';
import type { EventJournal, JournaledEvent } from '../../app/crm/ports.ts';

const PREFIX = 'intake-';
const SUFFIX = '.ndjson';
/** `owner.lock`: which process uses the directory (host, pid, a token of this process). */
const OWNER = 'owner.lock';
const PROCESS_TOKEN = crypto.randomBytes(8).toString('hex');
/** An entry unsettled this long means its database write failed: stop taking new ones early. */
const STUCK_MS = 5_000;

type Line = { readonly kind: 'event'; readonly event: JournaledEvent } | { readonly kind: 'call'; readonly call: NewCall };

interface Segment {
  readonly file: string;
  /** Null once the segment is full (nothing more is written to it). */
  fd: number | null;
  size: number;
  /** Entries recorded here and not yet settled. */
  open: number;
}

interface Entry {
  readonly segment: Segment;
  readonly at: number;
  /** Kept for a call intent: a repeat of its CRM call finds it before the row exists. */
  readonly call: NewCall | null;
}

export interface RecoveredIntake {
  /** Click-to-calls that may have been dialled: store them, never dial them again. */
  readonly calls: readonly NewCall[];
  /** Events replied to: store them, then they are handled like any event left unfinished. */
  readonly events: readonly JournaledEvent[];
  /** Lines that could not be read (a write cut short by a crash is the usual one), as file:line. */
  readonly skipped: readonly string[];
}

/**
 * The intake journal: fresh Bitrix24 clicks and their dial intents on local disk, one JSON line
 * each, written synchronously — so a click is answered and dialled without waiting for a database
 * round trip, and a restart still knows every click it answered and every call it may have
 * dialled. An entry is settled once its row is in the database; a segment whose entries are all
 * settled is truncated (the current one) or deleted (an older one), so the files stay small.
 *
 * A write returns once the line is in the operating system's cache: it survives a crash of the
 * process, as SQLite's WAL at synchronous=NORMAL does, not a power cut.
 */
export class FileIntakeJournal {
  readonly calls: DialJournal;
  readonly events: EventJournal;
  private current: Segment;
  /** Unsettled entries in the order they were recorded. */
  private readonly entries = new Map<string, Entry>();
  private readonly callsByCrmId = new Map<string, NewCall>();
  private readonly callsByChannel = new Map<string, NewCall>();
  private sequence = 1;
  private closed = false;

  private constructor(private readonly dir: string, private readonly maxSegmentBytes: number, private readonly now: () => number) {
    this.current = this.openSegment();
    this.calls = {
      record: (call) => this.append(`call:${call.id}`, { kind: 'call', call }, call),
      settle: (callId) => this.settle(`call:${callId}`),
      journaledCall: (crmCallId) => this.callsByCrmId.get(crmCallId) ?? null,
      journaledCallOfChannel: (channelId) => this.callsByChannel.get(channelId) ?? null,
      accepting: () => this.accepting(),
    };
    this.events = {
      record: (event) => this.append(eventId(event.event, event.eventKey), { kind: 'event', event }, null),
      settle: (event, eventKey) => this.settle(eventId(event, eventKey)),
      accepting: () => this.accepting(),
    };
  }

  /**
   * Reads what a previous process left unsettled. Store it, then `open` the journal afresh.
   * Refuses a directory another running connector holds (each instance needs its own).
   */
  static recover(dir: string): RecoveredIntake {
    claimDirectory(dir);
    const calls: NewCall[] = [];
    const events: JournaledEvent[] = [];
    const skipped: string[] = [];
    for (const file of segmentFiles(dir)) {
      fs.readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
        if (text.trim() === '') return;
        const line = parseLine(text);
        if (line === null) skipped.push(`${file}:${i + 1}`);
        else if (line.kind === 'call') calls.push(line.call);
        else events.push(line.event);
      });
    }
    return { calls, events, skipped };
  }

  /** Deletes the segments `recover` read and starts an empty journal in `dir`. */
  static open(dir: string, options: { readonly maxSegmentBytes?: number; readonly now?: () => number } = {}): FileIntakeJournal {
    claimDirectory(dir);
    for (const file of segmentFiles(dir)) fs.rmSync(file, { force: true });
    return new FileIntakeJournal(dir, options.maxSegmentBytes ?? 1 << 20, options.now ?? Date.now);
  }

  /** Entries recorded and not yet settled. */
  get unsettled(): number {
    return this.entries.size;
  }

  /** Closes the files and gives the directory up; what is unsettled stays on disk for the next start. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.current.fd !== null) fs.closeSync(this.current.fd);
    this.current.fd = null;
    releaseDirectory(this.dir);
  }

  /**
   * False while an entry has waited long for its row (the database is failing): new clicks then
   * take the careful path, and the journal does not grow with them.
   */
  private accepting(): boolean {
    if (this.closed) return false;
    const oldest = this.entries.values().next().value;
    return oldest === undefined || this.now() - oldest.at < STUCK_MS;
  }

  private append(id: string, line: Line, call: NewCall | null): void {
    if (this.closed || this.current.fd === null) throw new Error('intake journal is closed');
    this.settle(id); // the same id again: the newer line stands for it
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
    const written = fs.writeSync(this.current.fd, bytes);
    if (written !== bytes.length) {
      // A short write (disk full): cut the partial line off, so the next one starts clean.
      fs.ftruncateSync(this.current.fd, this.current.size);
      throw new Error(`intake journal: only ${written} of ${bytes.length} bytes written to ${this.current.file}`);
    }
    this.current.size += bytes.length;
    this.current.open += 1;
    this.entries.set(id, { segment: this.current, at: this.now(), call });
    if (call?.crmCallId) this.callsByCrmId.set(call.crmCallId, call);
    if (call?.channelId) this.callsByChannel.set(call.channelId, call);
    // Under steady load the current segment may never empty: start another, drop this one when it does.
    if (this.current.size >= this.maxSegmentBytes) {
      fs.closeSync(this.current.fd);
      this.current.fd = null;
      this.current = this.openSegment();
    }
  }

  private settle(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry.call?.crmCallId) this.callsByCrmId.delete(entry.call.crmCallId);
    if (entry.call?.channelId) this.callsByChannel.delete(entry.call.channelId);
    const segment = entry.segment;
    segment.open -= 1;
    if (segment.open > 0 || this.closed) return;
    try {
      if (segment === this.current && segment.fd !== null) {
        fs.ftruncateSync(segment.fd, 0);
        segment.size = 0;
      } else if (segment !== this.current) {
        fs.rmSync(segment.file, { force: true });
      }
    } catch {
      // Not emptied (a read-only or failing disk): the next start reads the file again and finds
      // its rows stored; nothing is lost by leaving it.
    }
  }

  private openSegment(): Segment {
    const file = path.join(this.dir, `${PREFIX}${String(this.sequence++).padStart(6, '0')}${SUFFIX}`);
    return { file, fd: fs.openSync(file, 'a'), size: 0, open: 0 };
  }
}

interface Owner {
  readonly host: string;
  readonly pid: number;
  readonly token: string;
}

/**
 * Takes the directory for this process: an exclusive lock file naming host, pid and a token of
 * this process. Another live process's lock is refused; a lock left by a dead process of this host
 * is taken over; a lock of another host (a shared volume) is refused, as its owner cannot be checked.
 */
function claimDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, OWNER);
  const me: Owner = { host: os.hostname(), pid: process.pid, token: PROCESS_TOKEN };
  for (let tries = 0; tries < 3; tries++) {
    try {
      fs.writeFileSync(lock, JSON.stringify(me), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(lock);
    if (owner?.token === PROCESS_TOKEN) return;
    if (owner && (owner.host !== me.host || isRunning(owner.pid))) {
      throw new Error(`intake journal ${dir} is in use by process ${owner.pid} on ${owner.host}: give each connector instance its own INTAKE_JOURNAL_DIR (remove ${lock} only if that process is gone)`);
    }
    // Unreadable, or its process is gone: stale.
    fs.rmSync(lock, { force: true });
  }
  throw new Error(`intake journal ${dir}: could not take ${lock}`);
}

function releaseDirectory(dir: string): void {
  const lock = path.join(dir, OWNER);
  if (readOwner(lock)?.token === PROCESS_TOKEN) fs.rmSync(lock, { force: true });
}

function readOwner(lock: string): Owner | null {
  try {
    const o = JSON.parse(fs.readFileSync(lock, 'utf8')) as Partial<Owner>;
    return typeof o.host === 'string' && typeof o.pid === 'number' && typeof o.token === 'string' ? { host: o.host, pid: o.pid, token: o.token } : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function eventId(event: string, eventKey: string): string {
  return `event:${event}\n${eventKey}`;
}

function parseLine(text: string): Line | null {
  try {
    const line = JSON.parse(text) as Partial<{ kind: string; call: NewCall; event: JournaledEvent }>;
    if (line.kind === 'call' && typeof line.call?.id === 'string') return { kind: 'call', call: line.call };
    if (line.kind === 'event' && typeof line.event?.eventKey === 'string' && typeof line.event.event === 'string') return { kind: 'event', event: line.event };
    return null;
  } catch {
    return null;
  }
}

function segmentFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.startsWith(PREFIX) && f.endsWith(SUFFIX)).sort().map((f) => path.join(dir, f));
}
