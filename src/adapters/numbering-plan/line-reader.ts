import { createHash } from 'node:crypto';
import fs from 'node:fs';
import iconv from 'iconv-lite';
import { detectEncoding, hasUtf8Bom, type TextEncodingName } from './encoding.ts';

export interface FileLine {
  /** 1-based line number in the file, as an editor shows it. */
  readonly lineNo: number;
  /** The line without its LF / CRLF. */
  readonly text: string;
}

export interface LineReaderProgress {
  /** Called after each chunk with the bytes read so far. */
  onBytes?(bytesRead: number): void;
}

/**
 * Longest registry line accepted. Real ones stay under 600 characters (a landline range held
 * across a whole federal district lists every region); anything far longer is not a registry row.
 */
export const MAX_LINE_CHARS = 4096;

export interface LineReaderResult {
  readonly encoding: TextEncodingName;
  readonly sha256: string;
  readonly bytes: number;
}

type Decoder = { write(buf: Buffer): string; end(): string };

/** Bytes that are not valid in the detected encoding; the message starts with `file:line:`. */
export class InvalidTextError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function validUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Index of the first line of `chunk` holding invalid UTF-8, or -1 when none can be pinned down.
 * The first line may begin with the tail of a character started in the previous chunk and the
 * last may end mid-character: those partial bytes are not errors.
 */
export function firstInvalidUtf8Line(chunk: Uint8Array): number {
  let start = 0;
  for (let idx = 0; start <= chunk.length; idx++) {
    const nl = chunk.indexOf(10, start);
    const last = nl < 0;
    let from = start;
    let to = last ? chunk.length : nl;
    if (idx === 0) while (from < to && from - start < 3 && (chunk[from]! & 0xc0) === 0x80) from++;
    if (last) {
      let back = 0;
      while (to > from && back < 3 && (chunk[to - 1]! & 0xc0) === 0x80) {
        to--;
        back++;
      }
      if (to > from && chunk[to - 1]! >= 0xc0) to--;
    }
    if (!validUtf8(chunk.subarray(from, to))) return idx;
    if (last) return -1;
    start = nl + 1;
  }
  return -1;
}

function decoderFor(encoding: TextEncodingName): Decoder {
  if (encoding === 'windows-1251') {
    const d = iconv.getDecoder('win1251');
    return { write: (b) => d.write(b), end: () => d.end() ?? '' };
  }
  const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  return { write: (b) => d.decode(b, { stream: true }), end: () => d.decode() };
}

/**
 * Streams a text file line by line with constant memory: detects the encoding from the first
 * chunk, strips a BOM, accepts LF and CRLF and a missing final newline, and hashes the bytes
 * on the way (the plan history records the sha256). `result()` is valid once iteration ends.
 */
export class LineReader {
  private outcome: LineReaderResult | null = null;

  constructor(private readonly file: string, private readonly progress: LineReaderProgress = {}) {}

  result(): LineReaderResult {
    if (!this.outcome) throw new Error('LineReader: read the lines first');
    return this.outcome;
  }

  async *lines(): AsyncGenerator<FileLine> {
    const hash = createHash('sha256');
    const stream = fs.createReadStream(this.file, { highWaterMark: 256 * 1024 });
    let decoder: Decoder | null = null;
    let encoding: TextEncodingName = 'utf-8';
    let pending = '';
    let lineNo = 0;
    let bytes = 0;
    const max = MAX_LINE_CHARS;
    // Refused as soon as it is too long: a line with no end is never gathered whole.
    const tooLong = (at: number): InvalidTextError => new InvalidTextError(`${this.file}:${at}: line longer than ${max} characters: not a registry row`);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      let buf = chunk;
      if (!decoder) {
        encoding = detectEncoding(buf);
        decoder = decoderFor(encoding);
        if (hasUtf8Bom(buf)) buf = buf.subarray(3);
      }
      bytes += chunk.length;
      let text: string;
      try {
        text = pending + decoder.write(buf);
      } catch {
        const idx = firstInvalidUtf8Line(buf);
        throw new InvalidTextError(`${this.file}:${lineNo + 1 + Math.max(0, idx)}: invalid UTF-8 (the file starts as UTF-8, so every line must be)`);
      }
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (end - start > max) throw tooLong(lineNo + 1);
        yield { lineNo: ++lineNo, text: text.slice(start, end) };
        start = nl + 1;
      }
      if (text.length - start > max) throw tooLong(lineNo + 1);
      pending = text.slice(start);
      this.progress.onBytes?.(bytes);
    }
    if (decoder) pending += decoder.end();
    if (pending.endsWith('\r')) pending = pending.slice(0, -1);
    if (pending.length > max) throw tooLong(lineNo + 1);
    if (pending !== '') yield { lineNo: ++lineNo, text: pending };
    this.outcome = { encoding, sha256: hash.digest('hex'), bytes };
  }
}
