import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { syncLines } from '../../../src/app/crm/line-sync.ts';
import { crmHarness, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('external line sync', () => {
  it('adds the rules lines and "Automatic", renames and deletes only its own lines, never foreign ones', async () => {
    h = await crmHarness();
    const now = h.clock.now();
    // On the portal: a line someone else created (possibly a user's default), one of ours that left
    // the rules, one of ours with an old name, and a foreign line that happens to use a rules number.
    h.double.state.lines.set('office', { NUMBER: 'office', NAME: 'Office PBX', CRM_AUTO_CREATE: 'Y' });
    h.double.state.lines.set('999', { NUMBER: '999', NAME: 'Old trunk', CRM_AUTO_CREATE: 'N' });
    h.double.state.lines.set('101', { NUMBER: '101', NAME: 'MTS (old name)', CRM_AUTO_CREATE: 'N' });
    h.double.state.lines.set('102', { NUMBER: '102', NAME: 'Somebody else', CRM_AUTO_CREATE: 'N' });
    await h.directory.savePublishedLine({ number: '999', name: 'Old trunk', trunkId: 'old' }, now);
    await h.directory.savePublishedLine({ number: '101', name: 'MTS (old name)', trunkId: 'mts' }, now);

    const gateway = h.connection.gateway();
    if (!gateway) throw new Error('not connected');
    const report = await syncLines(gateway, h.directory, h.rules.current(), h.clock);
    expect(report).toEqual({ added: ['auto', '103', '201'], updated: ['101'], deleted: ['999'], foreign: ['102', 'office'] });
    expect(Object.fromEntries([...h.double.state.lines.values()].map((l) => [l.NUMBER, l.NAME]))).toEqual({
      office: 'Office PBX', 101: 'MTS gateway', 102: 'Somebody else', auto: 'Automatic (cheapest)', 103: 'Universal SIP', 201: 'HR line',
    });
    // A second run changes nothing.
    const again = await syncLines(gateway, h.directory, h.rules.current(), h.clock);
    expect(again).toEqual({ added: [], updated: [], deleted: [], foreign: ['102', 'office'] });
  });
});

describe('user sync', () => {
  it('reads every page of user.get (50 a page) and department.get into the directory', async () => {
    const users = Array.from({ length: 120 }, (_, i) => ({ ID: String(i + 1), NAME: `User ${i + 1}`, UF_PHONE_INNER: String(200 + i), UF_DEPARTMENT: [i % 2 === 0 ? 1 : 7] }));
    h = await crmHarness({ double: { users, departments: [{ ID: '1', NAME: 'Sales' }, { ID: '7', NAME: 'Telesales', PARENT: '1' }] } });
    const res = await request(h.app).post('/admin/users/sync').set('Authorization', 'Bearer admin-token-0123456789');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'synced', users: 120, departments: 2 });
    expect(h.double.callsOf('user.get').map((c) => String(c.params.start))).toEqual(['0', '50', '100']);
    const dir = await h.directory.load();
    expect(dir.users).toHaveLength(120);
    expect(dir.users.find((u) => u.id === '120')).toEqual({ id: '120', name: 'User 120', extension: '319', departments: ['7'], active: true });
    expect(dir.departments).toEqual([{ id: '1', name: 'Sales', parent: null }, { id: '7', name: 'Telesales', parent: '1' }]);
  });

  it('refuses the sync without the admin token, and reports a portal failure as 502', async () => {
    h = await crmHarness();
    expect((await request(h.app).post('/admin/users/sync')).status).toBe(401);
    await h.double.setOutage('unavailable');
    const res = await request(h.app).post('/admin/users/sync').set('Authorization', 'Bearer admin-token-0123456789');
    expect(res.status).toBe(502);
    expect(res.body.message).toContain('user.get');
  });
});
