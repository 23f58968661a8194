import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inboundVariable } from '../../../src/adapters/asterisk/fastagi/inbound-session.ts';
import { MessageFilesOnDisk } from '../../../src/adapters/fax/message-files.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { timelineCommentParams } from '../../../src/app/crm/documents.ts';
import type { NewOutboxEntry } from '../../../src/app/crm/handoff-ports.ts';
import { RecordingPathError, RecordingResolver } from '../../../src/app/crm/recordings.ts';
import { InboundCrm } from '../../../src/app/inbound/inbound-crm.ts';
import type { MessageFiles } from '../../../src/app/inbound/inbound-messages.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import { describeAction, explainCall } from '../../../src/core/scenarios/explain.ts';
import { writeFaxPage } from '../../pbx/fax-page.ts';
import { context, inboundErrors, inboundRules, WEDNESDAY_NOON } from './support.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers:
  - { number: '+74951234500', scenario: main }
  - { number: '+74951234501', scenario: fax }
  - { number: '+74951234502', scenario: after-hours }
scenarios:
  - id: main
    createLeads: true
    steps: [{ employee: 4 }, { voicemail: { prompt: leave-a-message, maxSeconds: 60 } }, hangup]
  - id: fax
    steps: [{ fax: { user: 2 } }, hangup]
  - id: after-hours
    steps: [{ voicemail: { user: 3 } }]
`);

describe('voicemail and fax steps: rules and the step machine', () => {
  it('a voicemail after a manager who does not answer, then the hang-up; explain says what happens to the message', () => {
    const e = explainCall(context(RULES), { did: '74951234500', keys: [] });
    expect(e.steps.map((s) => describeAction(s.action))).toEqual([
      'dial PJSIP/200 for 20 s (rings 200 user 4)',
      'voicemail up to 60 s after leave-a-message',
      'hang up (hang-up step main#3)',
    ]);
    expect(e.steps[1]?.reasons.join('\n')).toMatch(/main#2: take a voicemail of at most 60 s after leave-a-message .*attached to the CRM call, missed/);
  });

  it('defaults: no prompt, 120 s, owned by whoever was rung first; a fax names its owner', () => {
    const vm = explainCall(context(RULES), { did: '74951234502', keys: [] }).steps[0]?.action;
    expect(vm).toEqual({ kind: 'voicemail', prompt: null, maxSeconds: 120, owner: '3' });
    const fax = explainCall(context(RULES), { did: '74951234501', keys: [] });
    expect(fax.steps.map((s) => describeAction(s.action))).toEqual(['receive a fax, owner user 2', 'hang up (hang-up step fax#2)']);
    expect(fax.steps[0]?.reasons.join('\n')).toMatch(/PDF goes to the client's CRM timeline/);
  });

  it('the dialplan variable: prompt, maximum, and 0 for an excluded number (never recorded)', () => {
    expect(inboundVariable({ kind: 'voicemail', prompt: 'vm', maxSeconds: 60, owner: null }, 'main:1:0:0', true)).toBe('voicemail|vm|60|1|main:1:0:0|');
    expect(inboundVariable({ kind: 'voicemail', prompt: null, maxSeconds: 60, owner: '1' }, 'main:1:0:0', false)).toBe('voicemail||60|0|main:1:0:0|');
    expect(inboundVariable({ kind: 'fax', owner: '2' }, 'fax:0:0:0')).toBe('fax||||fax:0:0:0|');
    // A reason with quotes would break the dialplan's $["${INBOUND}" = ""] test.
    expect(inboundVariable({ kind: 'hangup', reason: 'end of scenario "main"' }, '')).toBe("hangup|||||end of scenario 'main'");
  });

  it('bad steps name their path and what is wrong', () => {
    const errors = inboundErrors(`
numbers: [{ number: '+74951234500', scenario: main }]
scenarios:
  - id: main
    steps: [{ voicemail: { maxSeconds: 2 } }, { fax: { pages: 3 } }, { voicemail: { prompt: 'a|b' } }]
`).join('\n');
    expect(errors).toMatch(/steps\[0\]\.voicemail\.maxSeconds/);
    expect(errors).toMatch(/steps\[1\]\.fax.*pages/);
    expect(errors).toMatch(/steps\[2\]\.voicemail\.prompt: a sound file name cannot contain/);
  });
});

/** An outbox that keeps what was enqueued (deduplicated by key, as the real one). */
function outbox() {
  const entries: NewOutboxEntry[] = [];
  return {
    entries,
    enqueueMany: (list: readonly NewOutboxEntry[]) => Promise.resolve(list.map((e) => {
      const i = entries.findIndex((x) => x.dedupeKey === e.dedupeKey);
      if (i >= 0) return { id: i + 1 };
      entries.push(e);
      return { id: entries.length };
    })),
  };
}

function connector(files?: Partial<MessageFiles>) {
  const box = outbox();
  const crm = new InboundCrm({ outbox: box, rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, logger: silentLogger, ...(files ? { messageFiles: { pdfOf: () => Promise.reject(new Error('no tool')), hasSound: () => Promise.resolve(true), ...files } } : {}) });
  const service = new InboundService({ rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, random: () => 0, observe: crm.observe, events: crm });
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const writes = () => box.entries.map((e) => `${e.method.replace('telephony.externalcall.', '')} ${JSON.stringify(e.params)}`);
  return { box, crm, service, settle, writes };
}

/** Runs the call's steps with these results, as the dialplan would. */
function run(service: InboundService, did: string, results: string[], caller = '89161234567'): string {
  let state = '';
  let result = '';
  for (;;) {
    const a = service.step({ did, state, result, caller, uniqueid: 'u1', linkedid: 'L1' });
    if (a.state === '' || results.length === 0) return a.state;
    state = a.state;
    result = results.shift() ?? '';
  }
}

describe('voicemail and fax in the CRM', () => {
  it('a voicemail: the call is missed for the manager rung, and the message is attached after the finish', async () => {
    const { service, settle, box } = connector();
    run(service, '74951234500', ['NOANSWER', 'HANGUP']);
    service.message({ did: '74951234500', linkedid: 'L1', caller: '89161234567', file: '/mon/u1-voicemail.wav', state: 'main:1:0:0', detail: 'HANGUP' });
    service.ended('L1', '/mon/u1.wav');
    await settle();
    const byKey = new Map(box.entries.map((e) => [e.dedupeKey, e]));
    expect(byKey.get('in:L1:finish')?.params).toMatchObject({ USER_ID: '4', STATUS_CODE: '304', DURATION: 0 });
    expect(byKey.get('in:L1:voicemail')).toMatchObject({ method: 'telephony.externalcall.attachRecord', params: { $recording: '/mon/u1-voicemail.wav' } });
    // The unanswered call's own recording is still not attached (the whitelist rule for answered calls).
    expect(byKey.has('in:L1:attach')).toBe(false);
  });

  it('an empty voicemail (the caller hung up at the beep): the call is still missed, nothing attached', async () => {
    const { service, settle, box } = connector({ hasSound: () => Promise.resolve(false) });
    run(service, '74951234500', ['NOANSWER', 'HANGUP']);
    service.message({ did: '74951234500', linkedid: 'L1', caller: '89161234567', file: '/mon/u1-voicemail.wav', state: 'main:1:0:0', detail: 'HANGUP' });
    service.ended('L1', null);
    await settle();
    expect(box.entries.find((e) => e.dedupeKey === 'in:L1:finish')?.params).toMatchObject({ STATUS_CODE: '304' });
    expect(box.entries.map((e) => e.method)).not.toContain('telephony.externalcall.attachRecord');
  });

  it('a voicemail before any phone rang: the step\'s user owns the call', async () => {
    const { service, settle, box } = connector();
    run(service, '74951234502', ['HANGUP']);
    service.message({ did: '74951234502', linkedid: 'L1', caller: '89161234567', file: '/mon/u1-voicemail.wav', state: 'after-hours:0:0:0', detail: 'HANGUP' });
    service.ended('L1', null);
    await settle();
    expect(box.entries.map((e) => [e.method, e.params.USER_ID])).toEqual([
      ['telephony.externalcall.register', '3'], ['telephony.externalcall.finish', '3'], ['telephony.externalcall.attachRecord', undefined],
    ]);
  });

  it('a fax: finished as done, its PDF commented on the entity the register found', async () => {
    const converted: string[] = [];
    const { service, settle, box } = connector({ pdfOf: (f) => { converted.push(f); return Promise.resolve({ file: 'u1-fax.pdf', converted: true }); } });
    run(service, '74951234501', ['SUCCESS']);
    service.message({ did: '74951234501', linkedid: 'L1', caller: '89161234567', file: '/mon/u1-fax.tif', state: 'fax:0:0:0', detail: 'SUCCESS/2' });
    service.ended('L1', null);
    await settle();
    expect(converted).toEqual(['/mon/u1-fax.tif']);
    const byKey = new Map(box.entries.map((e) => [e.dedupeKey, e]));
    expect(byKey.get('in:L1:finish')?.params).toMatchObject({ USER_ID: '2', STATUS_CODE: '200' });
    expect(byKey.get('in:L1:fax')).toMatchObject({
      method: 'crm.timeline.comment.add', inject: { ENTITY_TYPE: 'CRM_ENTITY_TYPE', ENTITY_ID: 'CRM_ENTITY_ID' },
      params: { $document: 'u1-fax.pdf', COMMENT: 'Fax from +79161234567, 2 page(s)' },
    });
    expect(byKey.get('in:L1:fax')?.dependsOn).toBe(1);
  });

  it('a fax that cannot be converted: the TIFF itself is linked, and the comment says so', async () => {
    const { service, settle, box } = connector({ pdfOf: () => Promise.reject(new Error('tiff2pdf failed')) });
    run(service, '74951234501', ['FAILED']);
    service.message({ did: '74951234501', linkedid: 'L1', caller: '89161234567', file: '/mon/u1-fax.tif', state: 'fax:0:0:0', detail: 'FAILED/1' });
    service.ended('L1', null);
    await settle();
    expect(box.entries.find((e) => e.dedupeKey === 'in:L1:fax')?.params).toEqual({
      $document: '/mon/u1-fax.tif', COMMENT: 'Fax from +79161234567, 1 page(s) (incomplete: FAILED) (TIFF: could not be converted to PDF)',
    });
  });

  it('after a connector restart the message alone writes the call (its card was lost with the process)', async () => {
    const { service, settle, box } = connector();
    service.message({ did: '74951234502', linkedid: 'L9', caller: '89161234567', file: '/mon/u9-voicemail.wav', state: 'after-hours:0:0:0', detail: 'HANGUP' });
    service.ended('L9', null);
    await settle();
    expect(box.entries.map((e) => e.dedupeKey)).toEqual(['in:L9:register', 'in:L9:finish', 'in:L9:voicemail']);
    expect(box.entries[0]?.params).toMatchObject({ USER_ID: '3', PHONE_NUMBER: '+79161234567', TYPE: 2 });
  });
});

describe('fax documents on disk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-fax-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a document outside the recordings directory or of another kind', async () => {
    const docs = new RecordingResolver(dir, null);
    await expect(timelineCommentParams({ $document: '../etc/passwd.pdf', ENTITY_TYPE: 'CONTACT', ENTITY_ID: 5 }, docs)).rejects.toBeInstanceOf(RecordingPathError);
    await expect(timelineCommentParams({ $document: 'x.sh', ENTITY_TYPE: 'CONTACT', ENTITY_ID: 5 }, docs)).rejects.toThrow(/expected \.pdf, \.tif, \.tiff/);
    await expect(new MessageFilesOnDisk(dir).pdfOf('/etc/hosts.tif')).rejects.toBeInstanceOf(RecordingPathError);
  });

  it('the comment carries the file inline, on the entity in Bitrix24\'s lower-case type', async () => {
    fs.writeFileSync(path.join(dir, 'a-fax.pdf'), '%PDF-1.4 test');
    const params = await timelineCommentParams({ $document: path.join(dir, 'a-fax.pdf'), ENTITY_TYPE: 'CONTACT', ENTITY_ID: '5', COMMENT: 'Fax' }, new RecordingResolver(dir, null));
    expect(params).toEqual({ fields: { ENTITY_TYPE: 'contact', ENTITY_ID: 5, COMMENT: 'Fax', FILES: [['a-fax.pdf', Buffer.from('%PDF-1.4 test').toString('base64')]] } });
  });

  it('a voicemail of a WAV header and a few samples has no sound; a second of speech has', async () => {
    fs.writeFileSync(path.join(dir, 'short-voicemail.wav'), Buffer.alloc(44 + 320));
    fs.writeFileSync(path.join(dir, 'long-voicemail.wav'), Buffer.alloc(44 + 16_000));
    const files = new MessageFilesOnDisk(dir);
    expect([await files.hasSound(path.join(dir, 'short-voicemail.wav')), await files.hasSound(path.join(dir, 'long-voicemail.wav'))]).toEqual([false, true]);
    await expect(files.hasSound('../x.wav')).rejects.toBeInstanceOf(RecordingPathError);
  });

  const hasTiff2pdf = fs.existsSync('/usr/bin/tiff2pdf');
  it.skipIf(!hasTiff2pdf)(`a received fax page becomes a PDF beside its TIFF${hasTiff2pdf ? '' : ' (skipped: no /usr/bin/tiff2pdf; Debian package libtiff-tools)'}`, async () => {
    writeFaxPage(path.join(dir, 'u1-fax.tif'));
    const doc = await new MessageFilesOnDisk(dir).pdfOf(path.join(dir, 'u1-fax.tif'));
    expect(doc).toEqual({ file: 'u1-fax.pdf', converted: true });
    expect(fs.readFileSync(path.join(dir, 'u1-fax.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
  });
});
