import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startBitrix24Double, type Bitrix24Double } from '../../../src/doubles/bitrix24/server.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';
import { DOCUMENTED_SHAPES } from './documented-shapes.ts';
import { responseShape, shapeDifferences } from './response-shape.ts';

let double: Bitrix24Double | null = null;
afterEach(async () => {
  await double?.close();
  double = null;
});

async function rest(d: Bitrix24Double, method: string, params: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${d.restUrl}${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...params, auth: d.portal.accessToken }) });
  return res.json();
}

/** The user.get fields the connector reads (the documented example lists every profile field). */
const USER_GET_READ = [
  'result:array', 'result[]:object', 'result[].ID:string', 'result[].ACTIVE:boolean', 'result[].NAME:string', 'result[].LAST_NAME:string',
  'result[].UF_DEPARTMENT:array', 'result[].UF_DEPARTMENT[]:number', 'result[].USER_TYPE:string', 'total:number',
];

/** Makes the double give, for every documented answer, its own answer to the same request. */
async function doubleAnswers(d: Bitrix24Double): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const reg = await rest(d, 'telephony.externalcall.register', { USER_ID: '1', PHONE_NUMBER: '19062195047', TYPE: 2, EXTERNAL_CALL_ID: 'shape-1', CRM_CREATE: 0 });
  out['telephony.externalcall.register.response-200'] = reg;
  out['telephony.externalcall.register.error-400'] = await rest(d, 'telephony.externalcall.register', { USER_ID: '1', PHONE_NUMBER: '19062195047', TYPE: 9 });
  const callId = (reg as { result: { CALL_ID: string } }).result.CALL_ID;
  out['telephony.externalcall.show.response-200'] = await rest(d, 'telephony.externalcall.show', { CALL_ID: callId, USER_ID: 1 });
  out['telephony.externalcall.hide.response-200'] = await rest(d, 'telephony.externalcall.hide', { CALL_ID: callId, USER_ID: 1 });
  out['telephony.externalcall.finish.response-200'] = await rest(d, 'telephony.externalcall.finish', { CALL_ID: callId, USER_ID: '1', DURATION: 95, STATUS_CODE: '200', VOTE: 5 });
  out['telephony.externalcall.finish.error-400'] = await rest(d, 'telephony.externalcall.finish', { CALL_ID: 5, USER_ID: '1' });
  out['telephony.externalcall.attachRecord.response-200.with-file-content'] = await rest(d, 'telephony.externalcall.attachRecord', { CALL_ID: callId, FILENAME: 'a.mp3', FILE_CONTENT: Buffer.from('ID3').toString('base64') });
  out['telephony.externalcall.attachRecord.response-200.upload-url'] = await rest(d, 'telephony.externalcall.attachRecord', { CALL_ID: callId, FILENAME: 'a.mp3' });
  out['telephony.externalcall.attachRecord.error-400'] = await rest(d, 'telephony.externalcall.attachRecord', { CALL_ID: callId });
  out['telephony.externalcall.searchCrmEntities.response-200'] = await rest(d, 'telephony.externalcall.searchCrmEntities', { PHONE_NUMBER: '19062195047' });
  out['telephony.externalcall.searchCrmEntities.error-400'] = await rest(d, 'telephony.externalcall.searchCrmEntities', {});
  out['telephony.externalLine.add.response-200'] = await rest(d, 'telephony.externalLine.add', { NUMBER: '14151234567', NAME: 'Support Line', CRM_AUTO_CREATE: 'N' });
  out['telephony.externalLine.get.response-200'] = await rest(d, 'telephony.externalLine.get', {});
  out['user.get.response-200'] = await rest(d, 'user.get', { FILTER: { ACTIVE: true } });
  return out;
}

describe('Bitrix24 double: every answer the connector uses has the documented shape', () => {
  it('register, finish, attachRecord, show/hide, searchCrmEntities, externalLine.add/get, user.get and their errors', async () => {
    double = await startBitrix24Double({
      rateLimit: false,
      users: [{ ID: '1', NAME: 'Vadim', LAST_NAME: 'Valeev', UF_PHONE_INNER: '100', UF_DEPARTMENT: [1] }],
      crmEntities: { 19062195047: [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: 651, ASSIGNED_BY_ID: 1, NAME: 'John Doe' }] },
    });
    const answers = await doubleAnswers(double);
    expect(Object.keys(answers).sort()).toEqual(Object.keys(DOCUMENTED_SHAPES).sort());
    const report: Record<string, string[]> = {};
    for (const [name, documented] of Object.entries(DOCUMENTED_SHAPES)) {
      const diffs = shapeDifferences(documented, responseShape(answers[name]), name.startsWith('user.get') ? { subsetOf: USER_GET_READ } : {});
      if (diffs.length > 0) report[name] = diffs;
    }
    expect(report).toEqual({});
  });

  it('the comparison itself catches a renamed key, a changed type and a missing block', () => {
    const documented = DOCUMENTED_SHAPES['telephony.externalcall.register.response-200'] ?? [];
    expect(documented.length).toBeGreaterThan(10);
    const renamed = documented.map((p) => p.replace('result.CALL_ID:', 'result.CALLID:'));
    expect(shapeDifferences(documented, renamed)).toEqual(['missing result.CALL_ID', 'extra result.CALLID']);
    const retyped = documented.map((p) => p.replace('result.CRM_ENTITY_ID:number', 'result.CRM_ENTITY_ID:string'));
    expect(shapeDifferences(documented, retyped)).toEqual(['result.CRM_ENTITY_ID: documented number, got string']);
    expect(shapeDifferences(documented, documented.filter((p) => !p.startsWith('time')))).toContain('missing time.operating');
  });
});

// The captured documentation examples in ../shared: the table the test above uses must equal them.
describe.skipIf(!hasSharedData)('documented shapes table vs the captured documentation examples', () => {
  it('every table entry is the shape of its captured example', () => {
    const dir = sharedPath('bitrix24-events', 'b24restdocs');
    for (const [name, shape] of Object.entries(DOCUMENTED_SHAPES)) {
      const captured = JSON.parse(fs.readFileSync(`${dir}/${name}.json`, 'utf8')) as unknown;
      expect(responseShape(captured), name).toEqual(shape);
    }
    // And nothing the connector uses is missing from the table.
    const used = fs.readdirSync(dir).filter((f) => /^(telephony\.|user\.get\.)/.test(f) && !f.includes('WRONG_AUTH_TYPE')).map((f) => f.replace(/\.json$/, ''));
    expect(Object.keys(DOCUMENTED_SHAPES).sort()).toEqual(used.sort());
  });
});
