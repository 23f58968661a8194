import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCdrRecords, parseCdrCsvLine } from '../../../src/adapters/asterisk/cdr/csv-records.ts';

// Lines as cdr_csv writes them with loguniqueid = yes (the caller's Dial of two trunks, a rotation).
const LINES = [
  '"","100","79160000001","connector-outbound","""Ivan"" <100>","Local/100@phones-00000001;1","Local/79160000001@trunk-congestion-00000002;1","Dial","Local/79160000001@trunk-congestion,60,b(connector-predial^s^1(74950000001))","2026-12-03 22:00:00",,"2026-12-03 22:00:01",1,0,"FAILED","DOCUMENTATION","c2c-x-a",""',
  '"","100","79160000001","connector-outbound","""Ivan"" <100>","Local/100@phones-00000001;1","Local/79160000001@trunk-answer-00000003;1","Dial","Local/79160000001@trunk-answer,60,b(connector-predial^s^1(74950000001))","2026-12-03 22:00:01","2026-12-03 22:00:04","2026-12-03 22:00:06",5,2,"ANSWERED","DOCUMENTATION","c2c-x-a",""',
  '"","101","79160000002","connector-outbound","","Local/101@phones-00000004;1","Local/79160000002@trunk-busy-00000005;1","Dial","x","2026-12-03 22:01:00",,"2026-12-03 22:01:01",1,0,"BUSY","DOCUMENTATION","1795440000.9",""',
];

describe('CDRs read from cdr_csv', () => {
  it('splits quoted fields with doubled quotes and empty unquoted ones', () => {
    const f = parseCdrCsvLine(LINES[1] as string);
    expect(f[4]).toBe('"Ivan" <100>');
    expect(f.slice(9, 17)).toEqual(['2026-12-03 22:00:01', '2026-12-03 22:00:04', '2026-12-03 22:00:06', '5', '2', 'ANSWERED', 'DOCUMENTATION', 'c2c-x-a']);
    expect(parseCdrCsvLine(LINES[0] as string)[10]).toBe('');
  });

  it('gives per dialling channel whether a Dial was answered and its talk time; channels without a line are absent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdr-'));
    const file = path.join(dir, 'Master.csv');
    fs.writeFileSync(file, `${LINES.join('\n')}\n`);
    const talk = await csvCdrRecords(file).talkOf(['c2c-x-a', '1795440000.9', 'nope']);
    expect([...talk]).toEqual([['c2c-x-a', { answered: true, talkSec: 2 }], ['1795440000.9', { answered: false, talkSec: 0 }]]);
    fs.rmSync(dir, { recursive: true });
  });
});
