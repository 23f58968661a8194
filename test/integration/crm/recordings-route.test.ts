import request from 'supertest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingLinks } from '../../../src/app/crm/recordings.ts';
import { tempRecordings } from './fixtures.ts';
import { crmHarness, PUBLIC_URL, type Harness } from './harness.ts';

const SECRET = '0123456789abcdef-secret';
const rec = tempRecordings();
let h: Harness;

beforeEach(async () => {
  h = await crmHarness({ recordingsDir: rec.dir, recordUrlSecret: SECRET });
});
afterEach(async () => {
  await h.close();
});
afterAll(() => rec.cleanup());

function pathOf(url: string): string {
  return url.slice(PUBLIC_URL.length);
}

describe('GET /recordings/:file — signed, expiring links', () => {
  const links = new RecordingLinks(SECRET, PUBLIC_URL, 3600);

  it('serves the file to a valid link', async () => {
    const res = await request(h.app).get(pathOf(links.url('2026/11/23/call-1.wav', h.clock.now()))).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(Buffer.compare(res.body as Buffer, rec.bytes)).toBe(0);
  });

  it('refuses a tampered, expired or missing signature with 403', async () => {
    const url = links.url('2026/11/23/call-1.wav', h.clock.now());
    expect((await request(h.app).get(pathOf(url).replace('call-1', 'call-2'))).status).toBe(403);
    // Flip the signature's first hex digit (always a different digit, so the link really changes).
    const tampered = pathOf(url).replace(/sig=(.)/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    expect(tampered).not.toBe(pathOf(url));
    expect((await request(h.app).get(tampered)).status).toBe(403);
    expect((await request(h.app).get('/recordings/2026%2F11%2F23%2Fcall-1.wav')).status).toBe(403);
    h.clock.advance(3_601_000);
    expect((await request(h.app).get(pathOf(url))).status).toBe(403);
  });

  it('never leaves the recordings directory, even with a correctly signed path', async () => {
    const res = await request(h.app).get(pathOf(links.url('../../etc/passwd.wav', h.clock.now())));
    expect(res.status).toBe(400);
    const missing = await request(h.app).get(pathOf(links.url('2026/11/23/none.wav', h.clock.now())));
    expect(missing.status).toBe(404);
  });
});
