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

export interface LineReaderResult {
  readonly encoding: TextEncodingName;
  readonly sha256: string;
  readonly bytes: number;
}

type Decoder = { write(buf: Buffer): string; end(): string };

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
        throw new Error(`${this.file}:${lineNo + 1}: invalid UTF-8`);
      }
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield { lineNo: ++lineNo, text: text.slice(start, end) };
        start = nl + 1;
      }
      pending = text.slice(start);
      this.progress.onBytes?.(bytes);
    }
    if (decoder) pending += decoder.end();
    if (pending.endsWith('\r')) pending = pending.slice(0, -1);
    if (pending !== '') yield { lineNo: ++lineNo, text: pending };
    this.outcome = { encoding, sha256: hash.digest('hex'), bytes };
  }
}
