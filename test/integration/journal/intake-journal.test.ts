import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileIntakeJournal } from '../../../src/adapters/journal/intake-journal.ts';
import type { NewCall } from '../../../src/app/calls/ports.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-intake-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function call(id: string): NewCall {
  return {
    id, crmCallId: `crm-${id}`, channelId: `${id}-a`, linkedid: `${id}-a`, origin: 'crm', userId: '1', extension: '100', number: '+79261234567',
    numberE164: '+79261234567', line: null, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: 1_795_440_000_000,
  };
}
const click = (key: string) => ({ event: 'ONEXTERNALCALLSTART', eventKey: key, data: { CALL_ID: key, USER_ID: '1' }, ts: 1_795_440_000, receivedAt: 1_795_440_000_100 });
const segments = () => fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
const bytes = () => segments().reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);

describe('intake journal', () => {
  it('keeps what is not settled across a stop (with settled neighbours of its file, stored again harmlessly)', () => {
    const j = FileIntakeJournal.open(dir);
    j.events.record(click('k1'));
    j.calls.record(call('c1'));
    j.events.record(click('k2'));
    j.events.settle('ONEXTERNALCALLSTART', 'k1');
    expect(j.unsettled).toBe(2);
    j.close();
    const recovered = FileIntakeJournal.recover(dir);
    expect(recovered.events.map((e) => e.eventKey)).toEqual(['k1', 'k2']);
    expect(recovered.events[1]).toEqual(click('k2'));
    expect(recovered.calls).toEqual([call('c1')]);
    expect(recovered.skipped).toEqual([]);
  });

  it('empties its file once everything is settled, so it does not grow under a steady load', () => {
    const j = FileIntakeJournal.open(dir);
    for (let i = 0; i < 50; i++) {
      j.calls.record(call(`c${i}`));
      j.calls.settle(`c${i}`);
    }
    expect(bytes()).toBe(0);
    j.close();
    expect(FileIntakeJournal.recover(dir).calls).toEqual([]);
  });

  it('starts a new segment when one grows full, and deletes the old one once it is settled', () => {
    const j = FileIntakeJournal.open(dir, { maxSegmentBytes: 1000 });
    for (let i = 0; i < 6; i++) j.calls.record(call(`c${i}`));
    expect(segments().length).toBeGreaterThan(1);
    const first = segments()[0] as string;
    // Settling everything but the last call: the first file goes, the last call's stays.
    for (let i = 0; i < 5; i++) j.calls.settle(`c${i}`);
    expect(segments()).not.toContain(first);
    const left = FileIntakeJournal.recover(dir).calls.map((c) => c.id);
    expect(left).toContain('c5');
    expect(left).not.toContain('c0');
    j.close();
  });

  it('skips a line cut short by a crash, naming file and line, and reads the rest', () => {
    const j = FileIntakeJournal.open(dir);
    j.calls.record(call('c1'));
    j.close();
    const file = path.join(dir, segments()[0] as string);
    fs.appendFileSync(file, '{"kind":"call","call":{"id":"c2","crm');
    const recovered = FileIntakeJournal.recover(dir);
    expect(recovered.calls.map((c) => c.id)).toEqual(['c1']);
    expect(recovered.skipped).toEqual([`${file}:2`]);
  });

  it('a fresh open starts empty (the recovered entries were stored by then)', () => {
    const j = FileIntakeJournal.open(dir);
    j.calls.record(call('c1'));
    j.close();
    FileIntakeJournal.open(dir).close();
    expect(FileIntakeJournal.recover(dir).calls).toEqual([]);
  });

  it('refuses a directory another running process or another host holds; takes over a dead process\u2019s', () => {
    const lock = path.join(dir, 'owner.lock');
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: process.ppid, token: 'another-process' }));
    expect(() => FileIntakeJournal.recover(dir)).toThrow(/in use by process \d+ on .+: give each connector instance its own INTAKE_JOURNAL_DIR/);
    // A shared volume: a container's pid 1 elsewhere cannot be checked from here.
    fs.writeFileSync(lock, JSON.stringify({ host: 'other-host', pid: 1, token: 'another-process' }));
    expect(() => FileIntakeJournal.open(dir)).toThrow(/in use by process 1 on other-host/);
    // A stale owner (no such process on this host) is taken over, and released on close.
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: 999_999_999, token: 'gone' }));
    FileIntakeJournal.open(dir).close();
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('knows an unsettled dial intent by its CRM call, and stops accepting while entries wait long for their rows', () => {
    let now = 1_000_000;
    const j = FileIntakeJournal.open(dir, { now: () => now });
    j.calls.record(call('c1'));
    expect(j.calls.journaledCall('crm-c1')?.id).toBe('c1');
    expect(j.calls.accepting()).toBe(true);
    now += 6_000;
    // c1's row has not been written for 6 s: the database is failing.
    expect([j.calls.accepting(), j.events.accepting()]).toEqual([false, false]);
    j.calls.settle('c1');
    expect([j.calls.journaledCall('crm-c1'), j.calls.accepting()]).toEqual([null, true]);
    j.close();
    expect(j.calls.accepting()).toBe(false);
    expect(() => j.calls.record(call('c2'))).toThrow(/closed/);
  });

  it('a click journaled twice counts once: settling it empties the file', () => {
    const j = FileIntakeJournal.open(dir);
    j.events.record(click('k1'));
    j.events.record(click('k1'));
    expect(j.unsettled).toBe(1);
    j.events.settle('ONEXTERNALCALLSTART', 'k1');
    expect(bytes()).toBe(0);
    j.close();
  });
});
