import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { detectEncoding, hasUtf8Bom, type TextEncodingName } from './encoding.ts';

/** What an import does to the override set. */
export type PortedMode = 'full' | 'increment' | 'returned';

export type PortedLayoutName =
  | 'Port_All' | 'Port_All_Full' | 'Port_Increment'
  | 'Port_All_New' | 'Port_Hour_New' | 'Port_Hour_Returned'
  | 'plain';

export interface PortedLayout {
  readonly name: PortedLayoutName;
  readonly mode: PortedMode;
  readonly separator: ',' | ';';
  readonly numberCol: number;
  readonly ownerCol: number;
  /** `RowCount` (only filled on the first data row of ЦНИИС files): checked against the rows read. */
  readonly rowCountCol: number | null;
  /** True when line 1 is a header to skip. */
  readonly hasHeader: boolean;
}

export class PortedFileError extends Error {}

function columnsOf(header: string, sep: string): string[] {
  return header.split(sep).map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
}

/**
 * Detects the ЦНИИС (БДПН) layout from the header, or from the file name for the older feeds,
 * whose header is not documented (number in column 1, owner in column 2):
 * - `Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount` (Port_All; full set)
 * - Port_All_Full: the same plus `NPId,DonorId,RangeHolderId,OldRoute,OldMNC,ProcessType` (full set)
 * - `NPId,Number,RecipientId,…` (Port_Increment; changes)
 * - Port_All_New.csv (full), Port_Hour_New.csv (changes), Port_Hour_Returned.csv (removals)
 * - a plain `number;carrier` file, with or without a header line (changes).
 */
export function detectPortedLayout(fileName: string, firstLine: string): PortedLayout | { error: string } {
  const base = path.basename(fileName);
  const line = firstLine.replace(/^\uFEFF/, '');
  const sep: ',' | ';' = line.includes(';') && !line.includes(',') ? ';' : ',';
  const cols = columnsOf(line, sep);
  const numberCol = cols.indexOf('number');
  const rowCountCol = cols.indexOf('rowcount');
  if (numberCol >= 0 && cols.includes('ownerid')) {
    return {
      name: cols.includes('npid') ? 'Port_All_Full' : 'Port_All', mode: 'full', separator: sep,
      numberCol, ownerCol: cols.indexOf('ownerid'), rowCountCol: rowCountCol >= 0 ? rowCountCol : null, hasHeader: true,
    };
  }
  if (numberCol >= 0 && cols.includes('recipientid')) {
    return {
      name: 'Port_Increment', mode: 'increment', separator: sep,
      numberCol, ownerCol: cols.indexOf('recipientid'), rowCountCol: rowCountCol >= 0 ? rowCountCol : null, hasHeader: true,
    };
  }
  const firstIsData = /^\d{10,11}$/.test((line.split(sep)[0] ?? '').replace(/[\s+()"-]/g, ''));
  const legacy = /port_all_new/i.test(base) ? 'Port_All_New' : /port_hour_returned/i.test(base) ? 'Port_Hour_Returned' : /port_hour_new/i.test(base) ? 'Port_Hour_New' : null;
  if (legacy) {
    const mode: PortedMode = legacy === 'Port_All_New' ? 'full' : legacy === 'Port_Hour_Returned' ? 'returned' : 'increment';
    return { name: legacy, mode, separator: sep, numberCol: 0, ownerCol: 1, rowCountCol: null, hasHeader: !firstIsData };
  }
  if (sep === ';' && cols.length >= 2) {
    return { name: 'plain', mode: 'increment', separator: ';', numberCol: 0, ownerCol: 1, rowCountCol: null, hasHeader: !firstIsData };
  }
  return { error: `unknown ported-numbers layout: expected a ЦНИИС header (Number,OwnerId,… or NPId,Number,RecipientId,…), a Port_*.csv file name, or "number;carrier"; got "${line.slice(0, 80)}"` };
}

export interface PortedReadResult {
  readonly layout: PortedLayout;
  readonly rows: number;
  readonly sha256: string;
  readonly encoding: TextEncodingName;
}

export interface PortedReadOptions {
  readonly onBytes?: (bytes: number) => void;
  /** Overrides the mode detected from the layout. */
  readonly mode?: PortedMode;
  /** Called once the layout is known, before the first row. */
  readonly onLayout?: (layout: PortedLayout) => void;
}

/** Longest line accepted, in bytes: a full ЦНИИС row is under 200; longer is not a ported-numbers row. */
export const MAX_PORTED_LINE_BYTES = 4096;

const NL = 10;
const CR = 13;
const SPACE = 32;
const PLUS = 43;
const QUOTE = 34;
const DASH = 45;
const LPAREN = 40;
const RPAREN = 41;
const D0 = 48;
const D9 = 57;

/**
 * Streams a ported-numbers file and calls `sink(number, owner)` for every data row, where
 * `number` is the 10-digit national number and `owner` the owner id (the same string instance
 * for every row of one owner). Parses bytes directly: 8 M rows take seconds, not minutes.
 */
export async function readPortedFile(
  file: string,
  sink: (number: number, owner: string) => void,
  options: PortedReadOptions = {},
): Promise<PortedReadResult> {
  const hash = createHash('sha256');
  const stream = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
  let layout: PortedLayout | null = null;
  let encoding: TextEncodingName = 'utf-8';
  let leftover: Buffer | null = null;
  let lineNo = 0;
  let rows = 0;
  let bytesRead = 0;
  let declaredRows: number | null = null;
  const owners = new Map<string, string>();
  let sepByte = 44;

  const decodeOwner = (raw: string): string => {
    let owner = owners.get(raw);
    if (owner === undefined) {
      const bytes = Buffer.from(raw, 'latin1');
      owner = (encoding === 'windows-1251' ? iconv.decode(bytes, 'win1251') : bytes.toString('utf8')).trim().replace(/^"|"$/g, '');
      owners.set(raw, owner);
    }
    return owner;
  };

  const fail = (why: string): never => {
    throw new PortedFileError(`${file}:${lineNo}: ${why}`);
  };
  const tooLong = (): never => {
    throw new PortedFileError(`${file}:${lineNo + 1}: line longer than ${MAX_PORTED_LINE_BYTES} bytes: not a ported-numbers row`);
  };

  const parseLine = (buf: Buffer, start: number, end: number): void => {
    lineNo++;
    if (end > start && buf[end - 1] === CR) end--;
    if (!layout) {
      let s = start;
      if (lineNo === 1 && hasUtf8Bom(buf.subarray(s, s + 3))) s += 3;
      const text = buf.toString('latin1', s, end);
      const detected = detectPortedLayout(file, text);
      if ('error' in detected) return fail(detected.error);
      const chosen: PortedLayout = options.mode ? { ...detected, mode: options.mode } : detected;
      layout = chosen;
      sepByte = chosen.separator.charCodeAt(0);
      options.onLayout?.(chosen);
      if (chosen.hasHeader) return;
      start = s;
    }
    if (end === start) return;
    const l: PortedLayout = layout;
    let col = 0;
    let fieldStart = start;
    let number = -1;
    let owner: string | null = null;
    for (let i = start; i <= end; i++) {
      if (i < end && buf[i] !== sepByte) continue;
      if (col === l.numberCol) number = parseNumber(buf, fieldStart, i);
      else if (col === l.ownerCol) owner = decodeOwner(buf.toString('latin1', fieldStart, i));
      else if (col === l.rowCountCol && rows === 0) {
        const text = buf.toString('latin1', fieldStart, i).trim();
        if (text !== '') declaredRows = /^\d+$/.test(text) ? Number(text) : fail(`"RowCount" "${text}" is not a number`);
      }
      col++;
      fieldStart = i + 1;
    }
    if (number < 0) fail(`"${buf.toString('latin1', start, Math.min(end, start + 40))}": the number is not 10 digits (or 11 starting with 7 or 8)`);
    // A returned number goes back to its range holder: its owner column is not needed.
    if (l.mode !== 'returned' && (owner === null || owner === '')) fail(`missing owner (column ${l.ownerCol + 1})`);
    rows++;
    sink(number, owner ?? '');
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytesRead += chunk.length;
    if (lineNo === 0 && !leftover) encoding = detectEncoding(chunk.subarray(0, 64 * 1024));
    const buf: Buffer = leftover ? Buffer.concat([leftover, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl >= 0; nl = buf.indexOf(NL, start)) {
      if (nl - start > MAX_PORTED_LINE_BYTES) tooLong();
      parseLine(buf, start, nl);
      start = nl + 1;
    }
    // Refused as soon as it is too long: a line with no end is never gathered whole.
    if (buf.length - start > MAX_PORTED_LINE_BYTES) tooLong();
    leftover = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
    options.onBytes?.(bytesRead);
  }
  if (leftover && leftover.length > 0) parseLine(leftover, 0, leftover.length);
  if (!layout) throw new PortedFileError(`${file}:1: the file is empty`);
  if (declaredRows !== null && declaredRows !== rows) {
    throw new PortedFileError(`${file}: RowCount says ${declaredRows} rows but the file has ${rows}: truncated or corrupt download`);
  }
  return { layout, rows, sha256: hash.digest('hex'), encoding };
}

/**
 * 10 digits, or 11 starting with 7/8 (the country or trunk prefix); quotes, spaces, +, dashes and
 * parentheses ignored (hand-made `number;carrier` files write `+7 (926) 123-45-67`). Returns -1 when invalid.
 */
function parseNumber(buf: Buffer, start: number, end: number): number {
  let value = 0;
  let digits = 0;
  let first = -1;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= D0 && b <= D9) {
      if (digits === 0) first = b - D0;
      value = value * 10 + (b - D0);
      digits++;
    } else if (b !== SPACE && b !== PLUS && b !== QUOTE && b !== DASH && b !== LPAREN && b !== RPAREN) return -1;
  }
  if (digits === 10) return value;
  if (digits === 11 && (first === 7 || first === 8)) return value - first * 1e10;
  return -1;
}
