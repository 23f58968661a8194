import fs from 'node:fs/promises';
import type { PbxRecords } from '../../../app/calls/ports.ts';
import type { PbxTalk } from '../../../core/calls/summarize.ts';

/**
 * Columns of a cdr_csv line (`Master.csv`) with `loguniqueid = yes` in cdr.conf's [csv] section:
 * accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer,
 * end, duration, billsec, disposition, amaflags, uniqueid, …
 */
const BILLSEC = 13;
const DISPOSITION = 14;
const UNIQUEID = 16;

/** How much of the end of the file is read: the records of calls that ended during an outage are recent. */
const TAIL_BYTES = 8 * 1024 * 1024;

/** One CSV line as cdr_csv writes it: every field quoted except numbers, `"` doubled inside quotes. */
export function parseCdrCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return fields.concat(value + line.slice(i)); // cut short: keep what is there
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      fields.push(line.slice(i, comma < 0 ? line.length : comma));
      i = comma < 0 ? line.length : comma;
    }
    if (line[i] !== ',') break;
    i++;
  }
  return fields;
}

/** What the lines say per Uniqueid (the channel that dialled): any answered Dial, the longest talk. */
export function talkFromCdrLines(lines: readonly string[], wanted: ReadonlySet<string>): Map<string, PbxTalk> {
  const found = new Map<string, PbxTalk>();
  for (const line of lines) {
    const f = parseCdrCsvLine(line);
    const uniqueid = f[UNIQUEID];
    if (uniqueid === undefined || !wanted.has(uniqueid)) continue;
    const billsec = Number(f[BILLSEC]);
    const answered = f[DISPOSITION] === 'ANSWERED' && Number.isFinite(billsec);
    const was = found.get(uniqueid);
    if (answered) found.set(uniqueid, { answered: true, talkSec: Math.max(billsec, was?.talkSec ?? 0) });
    else if (!was) found.set(uniqueid, { answered: false, talkSec: 0 });
  }
  return found;
}

/**
 * The PBX's CDRs as cdr_csv stores them (`/var/log/asterisk/cdr-csv/Master.csv`, needs
 * `loguniqueid = yes`). Only the end of the file is read.
 */
export function csvCdrRecords(file: string): PbxRecords {
  return {
    async talkOf(uniqueids) {
      const handle = await fs.open(file, 'r');
      try {
        const { size } = await handle.stat();
        const start = Math.max(0, size - TAIL_BYTES);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        const lines = buffer.toString('utf8').split('\n');
        if (start > 0) lines.shift(); // begins mid-line
        return talkFromCdrLines(lines, new Set(uniqueids));
      } finally {
        await handle.close();
      }
    },
  };
}
