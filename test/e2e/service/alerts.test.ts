import { execFile } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { saveConsoleUser } from '../../../src/composition/console.ts';
import type { DoubleNotification } from '../../../src/doubles/bitrix24/portal-state.ts';
import { startService, waitFor, type Service } from './harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/**
 * Alerts through the whole service: the PBX double drops AMI, the Bitrix24 double refuses a write
 * for good, and the admins configured in ALERT_B24_USERS get system notifications through the real
 * SDK, while /metrics counts the alerts.
 */

let s: Service | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

function notices(svc: Service, text: string): DoubleNotification[] {
  return svc.bitrix24.state.notifications.filter((n) => n.MESSAGE.includes(text));
}

async function activeOnMetrics(svc: Service, kind: string): Promise<number> {
  const text = await svc.connector.metrics.registry.getSingleMetricAsString('b24pbx_alerts_active');
  const m = new RegExp(`b24pbx_alerts_active\\{kind="${kind}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : -1;
}

describe('alerts reach the admins as Bitrix24 notifications', () => {
  it('AMI down: both admins are told, /metrics shows it; when AMI is back they are told it cleared', async () => {
    // No grace: the drop below is an outage at once (the grace itself: test/unit/alerts/ami-watch.test.ts, and the blip below).
    s = await startService({ trunks: [], env: { ALERT_B24_USERS: '1, 7', ALERT_AMI_GRACE_S: '0' } });
    const svc = s;
    expect(await activeOnMetrics(svc, 'ami-down')).toBe(0);

    svc.pbx.dropAllAmiConnections();
    await waitFor('the AMI-down notices', () => notices(svc, 'ALERT ami-down').length === 2);
    expect(notices(svc, 'ALERT ami-down').map((n) => [n.USER_ID, n.TAG])).toEqual([['1', 'b24pbx-alert:ami-down'], ['7', 'b24pbx-alert:ami-down']]);

    await waitFor('the cleared notices', () => notices(svc, 'cleared ami-down').length === 2);
    expect(svc.connector.ami?.connected).toBe(true);
    expect(await activeOnMetrics(svc, 'ami-down')).toBe(0);
    expect(await svc.connector.metrics.registry.getSingleMetricAsString('b24pbx_alerts_raised_total')).toContain('b24pbx_alerts_raised_total{kind="ami-down"} 1');
  });

  it('a CRM write the portal refuses for good is parked, and the admin is told which one', async () => {
    s = await startService({ trunks: [], env: { ALERT_B24_USERS: '1' } });
    const svc = s;
    svc.bitrix24.faults.push({ method: 'crm.timeline.comment.add', kind: 'error', status: 400, error: 'ERROR_ARGUMENT', description: 'ENTITY_ID is not defined', times: 1 });
    const { id } = await svc.connector.crm.outbox.enqueue({ dedupeKey: 'alert-test', method: 'crm.timeline.comment.add', params: { fields: { ENTITY_TYPE: 'lead', COMMENT: 'x' } } }, Date.now());
    svc.connector.crm.worker.notify();

    await waitFor('the parked-write notice', () => notices(svc, 'ALERT crm-parked').length === 1);
    expect(notices(svc, 'ALERT crm-parked')[0]).toMatchObject({
      USER_ID: '1',
      MESSAGE: expect.stringContaining(`a Bitrix24 write (crm.timeline.comment.add, outbox #${id}) was parked: ERROR_ARGUMENT (HTTP 400): ENTITY_ID is not defined`),
    });
    expect(await activeOnMetrics(svc, 'crm-parked')).toBe(1);
    expect(await svc.connector.alerts.active()).toEqual([expect.objectContaining({ kind: 'crm-parked' })]);
  });

  it('a restart remembers the alert: still on /metrics, and a repeat within ALERT_REPEAT_MIN tells no one again', async () => {
    s = await startService({ trunks: [], env: { ALERT_B24_USERS: '1' } });
    const svc = s;
    const park = async (key: string): Promise<void> => {
      svc.bitrix24.faults.push({ method: 'crm.timeline.comment.add', kind: 'error', status: 400, error: 'ERROR_ARGUMENT', description: 'ENTITY_ID is not defined', times: 1 });
      await svc.connector.crm.outbox.enqueue({ dedupeKey: key, method: 'crm.timeline.comment.add', params: { fields: { ENTITY_TYPE: 'lead', COMMENT: 'x' } } }, Date.now());
      svc.connector.crm.worker.notify();
    };
    await park('restart-1');
    await waitFor('the parked-write notice', () => notices(svc, 'ALERT crm-parked').length === 1);

    const after = await svc.restartConnector();
    expect(await activeOnMetrics(svc, 'crm-parked')).toBe(1);
    await park('restart-2');
    await waitFor('the second parked write stored', async () => (await after.alerts.active()).some((a) => a.kind === 'crm-parked' && a.count === 2));
    await after.alerts.idle();
    await after.alerts.tick();
    expect(notices(svc, 'ALERT crm-parked')).toHaveLength(1);
  });

  it('a blip of AMI tells no one; an import the CLI refuses is told by the running service and shown on its dashboard and /metrics', async () => {
    s = await startService({ trunks: [], env: { ALERT_B24_USERS: '1', ALERT_POLL_MS: '50' } });
    const svc = s;
    // AMI drops and is back within the grace (30 s by default): nothing to tell.
    const back = once(svc.connector.ami!, 'connected');
    svc.pbx.dropAllAmiConnections();
    await back;

    // The admin's scheduled import of an ABC file alone would drop every mobile range: the guard refuses it.
    const cli = await run(process.execPath, [path.join(root, 'bin/b24pbx.js'), 'carriers', 'import', 'carrier-db/sample-ABC-4xx.csv'], {
      cwd: root, env: { ...process.env, DATABASE_URL: svc.connector.env.DATABASE_URL, RULES_DIR: svc.rulesDir },
    }).then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => err);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^import refused, the active plan is unchanged/);

    await waitFor('the import-refused notice', () => notices(svc, 'ALERT import-refused').length === 1);
    expect(notices(svc, 'ALERT import-refused')[0]).toMatchObject({
      USER_ID: '1', TAG: 'b24pbx-alert:import-refused',
      MESSAGE: expect.stringContaining('numbering-plan import of sample-ABC-4xx.csv refused (b24pbx carriers): import refused, the active plan is unchanged'),
    });
    expect(svc.bitrix24.state.notifications.map((n) => n.TAG)).toEqual(['b24pbx-alert:import-refused']);
    expect(await (await fetch(`${svc.baseUrl}/metrics`)).text()).toContain('b24pbx_alerts_active{kind="import-refused"} 1');

    // The dashboard reads the same stored alert.
    await saveConsoleUser(svc.connector.db, { name: 'ops', role: 'viewer', password: 'e2e-alerts-password' }, { N: 1024 });
    const form = await fetch(`${svc.baseUrl}/console/login`);
    const loginCookie = form.headers.getSetCookie().find((c) => c.startsWith('b24c_login='))!.split(';')[0]!;
    const loginToken = /name="_login" value="([^"]+)"/.exec(await form.text())![1]!;
    const signedIn = await fetch(`${svc.baseUrl}/console/login`, {
      method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _login: loginToken, name: 'ops', password: 'e2e-alerts-password' }).toString(),
    });
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('b24c_session='))!.split(';')[0]!;
    const dashboard = await (await fetch(`${svc.baseUrl}/console/?lang=en`, { headers: { cookie } })).text();
    expect(/<h2 id="alerts">.*?<\/table>/s.exec(dashboard)?.[0]).toContain('numbering-plan import of sample-ABC-4xx.csv refused');
  });
});
