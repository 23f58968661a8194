import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialerRepository } from '../../../src/adapters/db/repositories/dialer-repository.ts';
import { loadRules } from '../../../src/adapters/rules/load.ts';
import { createDialerRouter } from '../../../src/composition/dialer-router.ts';
import { EffectiveRules } from '../../../src/composition/effective-rules.ts';
import { SdkGateway } from '../../../src/adapters/bitrix24/gateway.ts';
import { createWebhookClient } from '../../../src/adapters/bitrix24/client.ts';
import { bitrix24LeadSource } from '../../../src/composition/dialer-crm-sources.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { tempSqliteDb } from '../../support/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = 'a-dialer-admin-token-0123456789';

describe('/admin/dialer: admin credentials, clear errors, nothing changed on bad input', () => {
  let handle: Awaited<ReturnType<typeof tempSqliteDb>>;
  let app: express.Express;
  let store: DialerRepository;
  let reloads = 0;
  let double: Bitrix24Double;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    handle = await tempSqliteDb();
    // The real SDK talks to the Bitrix24 double: leads, deals with their contacts and companies, a call list.
    double = await startBitrix24Double({ authMode: 'webhook', rateLimit: false });
    const phone = (v: string) => [{ VALUE: v, VALUE_TYPE: 'WORK' }];
    double.state.leads = [
      { ID: '7', TITLE: 'Заявка', STATUS_ID: 'NEW', PHONE: phone('8 926 123-45-67') },
      { ID: '8', TITLE: 'Без телефона', STATUS_ID: 'NEW' },
      { ID: '9', TITLE: 'В работе', STATUS_ID: 'IN_PROCESS', PHONE: phone('+79260000009') },
    ];
    double.state.contacts = [{ ID: '31', NAME: 'Ирина', LAST_NAME: 'Петрова', PHONE: phone('+7 903 111-22-33') }, { ID: '32', NAME: 'Без', LAST_NAME: 'Телефона' }];
    double.state.companies = [{ ID: '41', TITLE: 'ООО Ромашка', PHONE: phone('+7 495 765-43-21') }];
    double.state.deals = [
      { ID: '101', TITLE: 'Продление', STAGE_ID: 'NEW', CONTACT_ID: '31', COMPANY_ID: '41' },
      { ID: '102', TITLE: 'Опт', STAGE_ID: 'NEW', CONTACT_ID: '32', COMPANY_ID: '41' },
      { ID: '103', TITLE: 'Пусто', STAGE_ID: 'NEW', CONTACT_ID: '0', COMPANY_ID: '0' },
      { ID: '104', TITLE: 'Выиграна', STAGE_ID: 'WON', CONTACT_ID: '31' },
    ];
    double.state.callLists = [{ ID: 5, ENTITY_TYPE: 'CONTACT', items: [{ ID: 31, STATUS: 'IN_WORK' }, { ID: 32, STATUS: 'IN_WORK' }, { ID: 33, STATUS: 'SUCCESS' }] }];
    store = new DialerRepository(handle.db);
    const loaded = loadRules(path.join(ROOT, 'rules'));
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    app = express();
    app.use('/admin/dialer', createDialerRouter({
      token: TOKEN, store, rules: new EffectiveRules(loaded.compiled, 1), defaultCountry: 'RU',
      leadSource: bitrix24LeadSource(() => new SdkGateway(createWebhookClient(double.webhookUrl))),
      changed: async () => { reloads++; },
    }));
  });
  afterAll(async () => {
    await double?.close();
    await handle?.close();
  });

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
    [{ department: '10', wrapUpSeconds: 7200 }, 'wrapUpSeconds must be at most 3600 (got 7200)'],
    [{ department: '10', wrapUpSeconds: 2.5 }, 'wrapUpSeconds must be a whole number ≥ 0 (got 2.5)'],
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
    const saved = await request(app).put('/admin/dialer/campaigns/c2').set(auth).send({ department: '10', operators: ['2'], retry: { busy: 3 }, wrapUpSeconds: 15 });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ status: 'draft', settings: { mode: 'progressive', retry: { noAnswer: 90, unreachable: 90, busy: 3, technical: 10 }, wrapUpSeconds: 15 } });
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

  it('deals by a filter are called on their contact (else company) phone, with that entity for the card', async () => {
    expect((await request(app).put('/admin/dialer/campaigns/deals').set(auth).send({ department: '10' })).status).toBe(200);
    const imported = await request(app).post('/admin/dialer/campaigns/deals/leads/bitrix24').set(auth).send({ kind: 'deals', filter: { STAGE_ID: 'NEW' } });
    expect(imported.body).toEqual({ added: 2, duplicates: 0, rejected: ['deal 103: no phone'] });
    const leads = (await request(app).get('/admin/dialer/campaigns/deals/leads').set(auth)).body as { digits: string }[];
    expect([...leads].sort((a, b) => a.digits.localeCompare(b.digits))).toEqual([
      expect.objectContaining({ digits: '74957654321', entityType: 'COMPANY', entityId: '41', title: 'Опт' }),
      expect.objectContaining({ digits: '79031112233', entityType: 'CONTACT', entityId: '31', title: 'Продление' }),
    ]);
  });

  it("a CRM call list's items of one status; a call list the CRM does not know is refused naming it", async () => {
    expect((await request(app).put('/admin/dialer/campaigns/list').set(auth).send({ department: '10' })).status).toBe(200);
    const imported = await request(app).post('/admin/dialer/campaigns/list/leads/bitrix24').set(auth).send({ kind: 'call-list', listId: 5, status: 'IN_WORK' });
    expect(imported.body).toEqual({ added: 1, duplicates: 0, rejected: ['call list 5 contact 32: no phone'] });
    expect((await request(app).get('/admin/dialer/campaigns/list/leads').set(auth)).body).toEqual([
      expect.objectContaining({ digits: '79031112233', entityType: 'CONTACT', entityId: '31', title: 'Ирина Петрова' }),
    ]);
    const unknown = await request(app).post('/admin/dialer/campaigns/list/leads/bitrix24').set(auth).send({ kind: 'call-list', listId: 99 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('crm.calllist.items.get: Incorrect list id');
    const noId = await request(app).post('/admin/dialer/campaigns/list/leads/bitrix24').set(auth).send({ kind: 'call-list' });
    expect(noId.status).toBe(400);
    expect(noId.body.message).toContain('listId: a call list import needs listId');
    expect((await request(app).get('/admin/dialer/campaigns/list').set(auth)).body).toMatchObject({ progress: { leads: { pending: 1 } } });
  });

  it('operators: a phone that is not Tech/resource is refused; on and off line', async () => {
    expect((await request(app).put('/admin/dialer/operators/2').set(auth).send({ dial: '101' })).status).toBe(400);
    expect((await request(app).post('/admin/dialer/operators/2/online').set(auth)).status).toBe(400);
    expect((await request(app).put('/admin/dialer/operators/2').set(auth).send({ dial: 'PJSIP/101' })).status).toBe(200);
    expect((await request(app).post('/admin/dialer/operators/2/online').set(auth)).status).toBe(200);
    expect((await request(app).get('/admin/dialer/operators').set(auth)).body).toEqual([expect.objectContaining({ id: '2', online: true, stateDevice: 'PJSIP/101' })]);
  });
});
