import { afterEach, describe, expect, it } from 'vitest';
import type { DoubleNotification } from '../../../src/doubles/bitrix24/portal-state.ts';
import { startService, waitFor, type Service } from './harness.ts';

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
    s = await startService({ trunks: [], env: { ALERT_B24_USERS: '1, 7' } });
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
    expect(svc.connector.alerts.active()).toEqual([expect.objectContaining({ kind: 'crm-parked' })]);
  });
});
