import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRouteRouter } from '../../../src/adapters/http/routes/route.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';

const TOKEN = 'route-secret-0123456789';
let h: CallsHarness;
let app: express.Express;
beforeEach(async () => {
  h = await callsHarness();
  app = express();
  app.use('/asterisk', createRouteRouter({ service: h.service, logger: h.log.logger, token: TOKEN }));
});
afterEach(async () => h.close());

const q = (over: Record<string, string> = {}) => ({ exten: '79160000001', attempt: '1', dialstatus: '', hangupcause: '0', uniqueid: '1700.1', linkedid: '1700.0', caller: '100', token: TOKEN, ...over });

describe('HTTP route endpoint for CURL()', () => {
  it('answers a pipe-separated line the dialplan splits with CUT, and rotates like FastAGI', async () => {
    const first = await request(app).get('/asterisk/route').query(q());
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/plain');
    expect(first.text).toBe('dial|Local/79160000001@trunk-congestion|74950000001|4|1|desk-1700.1');
    const second = await request(app).get('/asterisk/route').query(q({ attempt: '2', dialstatus: 'CONGESTION', hangupcause: '34' }));
    expect(second.text.split('|').slice(0, 2)).toEqual(['dial', 'Local/79160000001@trunk-answer']);
    const third = await request(app).get('/asterisk/route').query(q({ attempt: '3', dialstatus: 'NOANSWER', hangupcause: '0' }));
    expect(third.text).toMatch(/^stop\|attempt 2 ended with NOANSWER/);
    await h.service.drain();
    expect(await h.store.listAttempts('desk-1700.1')).toHaveLength(2);
  });

  it('takes the secret from the X-Connector-Token header too', async () => {
    const { token: _t, ...rest } = q();
    const r = await request(app).get('/asterisk/route').set('X-Connector-Token', TOKEN).query(rest);
    expect(r.text.startsWith('dial|')).toBe(true);
  });

  it('refuses a forged request (no or wrong token) and changes nothing', async () => {
    expect((await request(app).get('/asterisk/route').query(q({ token: 'wrong-token-0000000000' }))).status).toBe(401);
    const { token: _t, ...rest } = q();
    expect((await request(app).get('/asterisk/route').query(rest)).status).toBe(401);
    expect(await h.store.listCalls({ limit: 5 })).toEqual([]);
  });

  it('is closed when no token is configured', async () => {
    const closed = express().use('/asterisk', createRouteRouter({ service: h.service, logger: h.log.logger, token: undefined }));
    expect((await request(closed).get('/asterisk/route').query(q())).status).toBe(403);
  });

  it('answers a malformed request with 400 and a stop line naming the field', async () => {
    const r = await request(app).get('/asterisk/route').query(q({ exten: 'abc' }));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^stop\|bad request: agi_arg_1/);
    const noId = await request(app).get('/asterisk/route').query(q({ uniqueid: '' }));
    expect(noId.text).toBe('stop|bad request: uniqueid is required');
  });
});
