import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Bitrix24 plays only these (telephony.externalCall.attachRecord). */
export const RECORDING_EXTENSIONS = ['.wav', '.mp3'] as const;

const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export class RecordingPathError extends Error {}

/**
 * The path of a recording relative to RECORDINGS_DIR, checked: plain segments only (no `..`, no
 * hidden files, no absolute path outside the directory), wav or mp3. Throws RecordingPathError.
 */
export function relativeRecordingPath(recordingsDir: string, file: string, extensions: readonly string[] = RECORDING_EXTENSIONS): string {
  const root = path.resolve(recordingsDir);
  const rel = path.isAbsolute(file) ? path.relative(root, path.resolve(file)) : file;
  const segments = rel.split(/[\\/]/);
  if (rel === '' || segments.some((s) => !SAFE_SEGMENT.test(s))) throw new RecordingPathError(`recording "${file}" is not a plain path inside the recordings directory`);
  const ext = path.extname(rel).toLowerCase();
  if (!extensions.includes(ext)) throw new RecordingPathError(`recording "${path.basename(file)}" is ${ext || 'without extension'}: ${extensions === RECORDING_EXTENSIONS ? 'Bitrix24 accepts wav or mp3 only' : `expected ${extensions.join(', ')}`}`);
  return segments.join('/');
}

/** The absolute path of a checked relative path; refuses a symlink that leads outside the directory. */
export function resolveRecordingFile(recordingsDir: string, rel: string, extensions: readonly string[] = RECORDING_EXTENSIONS): string {
  const root = fs.realpathSync(path.resolve(recordingsDir));
  const checked = relativeRecordingPath(root, rel, extensions);
  const real = fs.realpathSync(path.join(root, checked));
  if (!real.startsWith(root + path.sep)) throw new RecordingPathError(`recording "${rel}" leads outside the recordings directory`);
  return real;
}

/**
 * Expiring HMAC-signed links to recordings: `GET /recordings/<path>?exp=<unix s>&sig=<hex>`, the
 * signature over path and expiry with RECORD_URL_SECRET. Bitrix24 downloads the file from there.
 */
export class RecordingLinks {
  constructor(private readonly secret: string, private readonly publicUrl: string, private readonly ttlS: number) {
    if (secret.length < 16) throw new Error('RECORD_URL_SECRET must be at least 16 characters');
  }

  private mac(rel: string, exp: number): string {
    return crypto.createHmac('sha256', this.secret).update(`${rel}\n${exp}`).digest('hex');
  }

  url(rel: string, nowMs: number): string {
    const exp = Math.floor(nowMs / 1000) + this.ttlS;
    const base = this.publicUrl.replace(/\/+$/, '');
    return `${base}/recordings/${encodeURIComponent(rel)}?exp=${exp}&sig=${this.mac(rel, exp)}`;
  }

  /** True when the signature is right (constant time) and the link has not expired. */
  verify(rel: string, exp: string, sig: string, nowMs: number): boolean {
    if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return false;
    const expected = Buffer.from(this.mac(rel, Number(exp)), 'hex');
    const given = Buffer.from(sig, 'hex');
    const ok = given.length === expected.length && crypto.timingSafeEqual(given, expected);
    return ok && Number(exp) * 1000 > nowMs;
  }
}

/** What attachRecord gets for a recording: the file inline (base64) or a signed link. */
export type RecordingPayload = { readonly FILENAME: string; readonly FILE_CONTENT: string } | { readonly FILENAME: string; readonly RECORD_URL: string };

/** Turns a stored recording reference into attachRecord params when the entry is sent. */
export class RecordingResolver {
  constructor(private readonly recordingsDir: string, private readonly links: RecordingLinks | null) {}

  /** `content` unless signed links are configured (PUBLIC_URL + RECORD_URL_SECRET). */
  get mode(): 'content' | 'url' {
    return this.links ? 'url' : 'content';
  }

  async payload(file: string, nowMs: number): Promise<RecordingPayload> {
    const rel = relativeRecordingPath(this.recordingsDir, file);
    const abs = resolveRecordingFile(this.recordingsDir, rel);
    const filename = path.basename(rel);
    if (this.links) {
      await fs.promises.access(abs, fs.constants.R_OK);
      return { FILENAME: filename, RECORD_URL: this.links.url(rel, nowMs) };
    }
    const bytes = await fs.promises.readFile(abs);
    return { FILENAME: filename, FILE_CONTENT: bytes.toString('base64') };
  }

  /** A document kept beside the recordings (a fax's PDF), checked the same way: its name and base64 content. */
  async document(file: string, extensions: readonly string[]): Promise<{ readonly name: string; readonly content: string }> {
    const rel = relativeRecordingPath(this.recordingsDir, file, extensions);
    const abs = resolveRecordingFile(this.recordingsDir, rel, extensions);
    return { name: path.basename(rel), content: (await fs.promises.readFile(abs)).toString('base64') };
  }
}
