import { describe, expect, it } from 'vitest';
import { AmiClient } from '../../../src/adapters/asterisk/ami/client.ts';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { createCallsSide } from '../../../src/composition/calls-side.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { startPbxDouble } from '../../../src/doubles/asterisk/index.ts';
import { capturingLogger } from '../../contracts/calls-harness.ts';
import { fixedRouting, labRules } from '../../contracts/calls-lab-rules.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { freePort } from '../../support/ports.ts';
import { LAB_TRUNK_SCRIPT } from './pbx-harness.ts';


describe('the assembled PBX side (createCallsSide) against the PBX double', () => {
  it('click-to-call with rotation, a desk-phone call, and the ended calls handed on', async () => {
    const t = await tempSqliteDb();
    const agiPort = await freePort();
    const env = loadEnv({ AGI_HOST: '127.0.0.1', AGI_PORT: String(agiPort), ORIGINATE_CHANNEL: 'Local/{extension}@phones', TRACKER_FLUSH_MS: '10' });
    const pbx = await startPbxDouble({
      // The privileges of asterisk/manager_connector.conf.
      users: [{ username: 'connector', secret: 'connector-secret', read: ['call', 'user'], write: ['originate', 'reporting', 'call'] }],
      fastAgi: { host: '127.0.0.1', port: agiPort, script: 'route' },
      trunks: LAB_TRUNK_SCRIPT,
      timeScale: 0.01,
    });
    const ami = new AmiClient({ host: '127.0.0.1', port: pbx.amiPort, username: 'connector', secret: 'connector-secret', reconnectMinMs: 20, reconnectMaxMs: 100 });
    const ended: CallRecord[] = [];
    const side = createCallsSide({ db: t.db, env, logger: capturingLogger().logger, routing: fixedRouting(labRules()), ami, onCallEnded: (r) => ended.push(r) });
    try {
      await side.start();
      await ami.start();
      const r = await side.clickToCall({ crmCallId: 'side-1', userId: '12', extension: '100', number: '+79160000001', numberIsInternational: true, origin: 'crm', line: null });
      expect(r).toMatchObject({ ok: true });
      await pbx.placeDeskCall('100', '79160000002').finished;
      const until = Date.now() + 5000;
      while (ended.length < 2 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      const byCrm = new Map(ended.map((e) => [e.crmCallId, e]));
      expect(byCrm.get('side-1')).toMatchObject({ statusCode: '200', trunkId: 'trunk-answer', b24Line: 'line-trunk-answer' });
      expect(byCrm.get(null)).toMatchObject({ statusCode: '486', origin: 'phone', extension: '100' });
      expect((await side.store.listCallsPendingCrmHandoff(10)).map((c) => c.statusCode).sort()).toEqual(['200', '486']);
      expect(side.routes.channels.busy()).toEqual({});
    } finally {
      await ami.stop();
      await side.stop();
      await pbx.close();
      await t.close();
    }
  });
});
