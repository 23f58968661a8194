import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialerRepository } from '../../../src/adapters/db/repositories/dialer-repository.ts';
import { loadRules } from '../../../src/adapters/rules/load.ts';
import { createDialerRouter } from '../../../src/composition/dialer-router.ts';
import { EffectiveRules } from '../../../src/composition/effective-rules.ts';
import { tempSqliteDb } from '../../support/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = 'a-dialer-admin-token-0123456789';

describe('/admin/dialer: admin credentials, clear errors, nothing changed on bad input', () => {
  let handle: Awaited<ReturnType<typeof tempSqliteDb>>;
  let app: express.Express;
  let store: DialerRepository;
  let reloads = 0;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    handle = await tempSqliteDb();
    store = new DialerRepository(handle.db);
    const loaded = loadRules(path.join(ROOT, 'rules'));
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    app = express();
    app.use('/admin/dialer', createDialerRouter({
      token: TOKEN, store, rules: new EffectiveRules(loaded.compiled, 1), defaultCountry: 'RU',
      leadSource: { listLeads: async (filter) => (filter.STATUS_ID === 'NEW' ? [{ id: '7', title: 'Заявка', phones: ['8 926 123-45-67'] }, { id: '8', title: null, phones: [] }] : []) },
      changed: async () => { reloads++; },
    }));
  });
  afterAll(async () => handle?.close());

  it('needs the admin token', async () => {
    expect((await request(app).get('/admin/dialer/campaigns')).status).toBe(401);
    expect((await request(app).get('/admin/dialer/campaigns').set('authorization', 'Bearer wrong-token-wrong-token')).status).toBe(401);
    expect((await request(app).post('/admin/dialer/dnc').send({ numbers: ['+79261234567'] })).status).toBe(401);
    expect(await store.listDnc()).toEqual([]);
  });

  it.each([
    [{ department: '99' }, 'department "99" is not in the rules'],
    [{ department: '10', mode: 'turbo' }, 'mode must be one of preview, progressive, ratio, predictive (got "turbo")'],
    [{ department: '10', mode: 'predictive', abandonWindow: '7d' }, 'abandonWindow must be one of 24h, 30d (got "7d")'],
    [{ department: '10', mode: 'ratio', ratio: 0.5 }, 'ratio must be a number from 1 to 20 (got 0.5)'],
    [{ department: '10', hours: '9-21' }, 'hours "9-21" is not HH:MM-HH:MM'],
    [{ department: '10', ringSeconds: 5 }, 'ringSeconds must be at least 15'],
    [{ department: '10', timezone: 'Mars/Olympus' }, 'timezone "Mars/Olympus" is not an IANA timezone'],
    [{ department: '10', retry: { busy: -1 } }, 'retry.busy must be a whole number'],
    [{ department: '10', colour: 'red' }, 'Unrecognized key'],
  ])('a bad campaign %j is refused naming the field', async (body, message) => {
    const res = await request(app).put('/admin/dialer/campaigns/c1').set(auth).send(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(await store.getCampaign('c1')).toBeNull();
  });

  it('a campaign with Bitrix24 leads by a filter, progress, and the do-not-call list', async () => {
    const saved = await request(app).put('/admin/dialer/campaigns/c2').set(auth).send({ department: '10', operators: ['2'], retry: { busy: 3 } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ status: 'draft', settings: { mode: 'progressive', retry: { noAnswer: 90, unreachable: 90, busy: 3, technical: 10 } } });
    const imported = await request(app).post('/admin/dialer/campaigns/c2/leads/bitrix24').set(auth).send({ filter: { STATUS_ID: 'NEW' } });
    expect(imported.body).toEqual({ added: 1, duplicates: 0, rejected: ['lead 8: no phone'] });
    expect((await request(app).get('/admin/dialer/campaigns/c2/leads').set(auth)).body).toEqual([
      expect.objectContaining({ digits: '79261234567', entityType: 'LEAD', entityId: '7', title: 'Заявка', status: 'pending' }),
    ]);
    expect((await request(app).post('/admin/dialer/campaigns/c2/start').set(auth)).status).toBe(200);
    expect((await request(app).get('/admin/dialer/campaigns/c2').set(auth)).body).toMatchObject({ status: 'running', progress: { leads: { pending: 1 }, attempts: 0 } });

    const bad = await request(app).post('/admin/dialer/dnc').set(auth).send({ numbers: ['+79261234567', '12'] });
    expect(bad.status).toBe(400);
    expect(await store.listDnc()).toEqual([]);
    const before = reloads;
    expect((await request(app).post('/admin/dialer/dnc').set(auth).send({ numbers: ['8 (926) 123-45-67'], prefixes: ['+7800'] })).body).toEqual({ added: 2 });
    expect(reloads).toBe(before + 1);
    expect((await request(app).delete('/admin/dialer/dnc/prefix/7800').set(auth)).status).toBe(200);
    expect((await request(app).get('/admin/dialer/dnc').set(auth)).body).toEqual([{ digits: '79261234567', kind: 'number' }]);
  });

  it('operators: a phone that is not Tech/resource is refused; on and off line', async () => {
    expect((await request(app).put('/admin/dialer/operators/2').set(auth).send({ dial: '101' })).status).toBe(400);
    expect((await request(app).post('/admin/dialer/operators/2/online').set(auth)).status).toBe(400);
    expect((await request(app).put('/admin/dialer/operators/2').set(auth).send({ dial: 'PJSIP/101' })).status).toBe(200);
    expect((await request(app).post('/admin/dialer/operators/2/online').set(auth)).status).toBe(200);
    expect((await request(app).get('/admin/dialer/operators').set(auth)).body).toEqual([expect.objectContaining({ id: '2', online: true, stateDevice: 'PJSIP/101' })]);
  });
});
