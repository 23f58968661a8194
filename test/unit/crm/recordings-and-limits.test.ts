import path from 'node:path';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingLinks, RecordingPathError, RecordingResolver, relativeRecordingPath, resolveRecordingFile } from '../../../src/app/crm/recordings.ts';
import { backoffMs } from '../../../src/app/crm/backoff.ts';
import { RequestRateLimiter } from '../../../src/app/crm/rate-limiter.ts';
import { classifyFailure, scrubSecrets } from '../../../src/adapters/bitrix24/errors.ts';
import { manualClock, tempRecordings } from '../../integration/crm/fixtures.ts';

const rec = tempRecordings();
afterAll(() => rec.cleanup());

describe('recording paths and signed links', () => {
  it('accepts plain wav/mp3 paths inside the directory and refuses traversal', () => {
    expect(relativeRecordingPath(rec.dir, rec.file)).toBe('2026/11/23/call-1.wav');
    expect(relativeRecordingPath(rec.dir, '2026/11/23/call-1.wav')).toBe('2026/11/23/call-1.wav');
    for (const bad of ['../etc/passwd.wav', '/etc/x.wav', '2026/../../x.wav', '.hidden.wav', 'x.gsm', '', 'a//b.wav']) {
      expect(() => relativeRecordingPath(rec.dir, bad), bad).toThrow(RecordingPathError);
    }
  });

  it('refuses a symlink leading outside the directory', () => {
    const outside = path.join(path.dirname(rec.dir), `outside-${path.basename(rec.dir)}.wav`);
    fs.writeFileSync(outside, 'x');
    fs.symlinkSync(outside, path.join(rec.dir, 'link.wav'));
    try {
      expect(() => resolveRecordingFile(rec.dir, 'link.wav')).toThrow(/outside/);
    } finally {
      fs.rmSync(outside);
    }
  });

  it('signs links that expire, and rejects tampered or expired ones', () => {
    const links = new RecordingLinks('0123456789abcdef-secret', 'https://pbx.example.com/', 3600);
    const now = Date.UTC(2026, 10, 23);
    const url = new URL(links.url('2026/11/23/call-1.wav', now));
    expect(url.pathname).toBe('/recordings/2026%2F11%2F23%2Fcall-1.wav');
    const exp = url.searchParams.get('exp') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    expect(links.verify('2026/11/23/call-1.wav', exp, sig, now + 1000)).toBe(true);
    expect(links.verify('2026/11/23/call-2.wav', exp, sig, now + 1000)).toBe(false);
    expect(links.verify('2026/11/23/call-1.wav', String(Number(exp) + 10), sig, now)).toBe(false);
    expect(links.verify('2026/11/23/call-1.wav', exp, sig, now + 3_601_000)).toBe(false);
    expect(links.verify('2026/11/23/call-1.wav', exp, 'zz', now)).toBe(false);
  });

  it('resolves a recording to base64 content, or to a signed URL when links are configured', async () => {
    const inline = await new RecordingResolver(rec.dir, null).payload(rec.file, 0);
    expect(inline).toEqual({ FILENAME: 'call-1.wav', FILE_CONTENT: rec.bytes.toString('base64') });
    const linked = await new RecordingResolver(rec.dir, new RecordingLinks('0123456789abcdef-secret', 'https://pbx.example.com', 60)).payload(rec.file, 0);
    expect(linked).toMatchObject({ FILENAME: 'call-1.wav', RECORD_URL: expect.stringMatching(/^https:\/\/pbx\.example\.com\/recordings\/2026%2F11%2F23%2Fcall-1\.wav\?exp=60&sig=[0-9a-f]{64}$/) });
  });
});

describe('retry policy and rate limiting', () => {
  it('backs off exponentially up to ten minutes', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffMs(40)).toBe(600_000);
  });

  it('classifies network errors, 5xx, 503 and 429 as transient and other answers as permanent', () => {
    expect(classifyFailure('ECONNREFUSED', 0)).toBe('transient');
    expect(classifyFailure('QUERY_LIMIT_EXCEEDED', 503)).toBe('transient');
    expect(classifyFailure('OPERATION_TIME_LIMIT', 429)).toBe('transient');
    expect(classifyFailure('INTERNAL_SERVER_ERROR', 500)).toBe('transient');
    expect(classifyFailure('ERROR_CORE', 400)).toBe('permanent');
    expect(classifyFailure('WRONG_AUTH_TYPE', 403)).toBe('permanent');
    expect(classifyFailure('ERROR_CORE', 200)).toBe('permanent');
  });

  it('never keeps a webhook secret or token in an error text', () => {
    expect(scrubSecrets('POST https://p.bitrix24.ru/rest/1/k32t88gf3azpmwv3/batch failed')).toBe('POST https://p.bitrix24.ru/rest/<user>/[redacted]/batch failed');
    expect(scrubSecrets('x?auth=abc123&b=1')).toBe('x?auth=[redacted]&b=1');
  });

  it('lets a burst of 50 through, then 2 requests per second', async () => {
    const clock = manualClock(0);
    const limiter = new RequestRateLimiter(clock, 50, 2);
    for (let i = 0; i < 50; i++) await limiter.acquire();
    expect(clock.t).toBe(0);
    for (let i = 0; i < 10; i++) await limiter.acquire();
    expect(clock.t).toBe(5000);
    limiter.exhausted();
    await limiter.acquire();
    expect(clock.t).toBe(5500);
  });
});
