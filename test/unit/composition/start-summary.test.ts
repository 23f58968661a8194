import { describe, expect, it } from 'vitest';
import { describeDatabase, startSummary } from '../../../src/composition/start-summary.ts';
import { loadEnv } from '../../../src/config/env.ts';

describe('what npm start says it uses', () => {
  it('names the database without its password', () => {
    expect(describeDatabase('postgres://connector:s3cr3t@db.local:5432/pbx')).toBe('PostgreSQL connector@db.local:5432/pbx');
    expect(describeDatabase('./data/connector.sqlite')).toBe('SQLite ./data/connector.sqlite');
  });

  it('says when no plan is imported and what a service without a PBX cannot do', () => {
    const text = startSummary({
      demo: false, dotEnv: '/srv/b24pbx/.env', env: loadEnv({ B24_MODE: 'app', DATABASE_URL: 'postgres://c:pw@db/pbx' }),
      httpUrl: 'http://127.0.0.1:3000', agiPort: 4573,
      carriers: { plan: null, ported: null, ranges: 0, portedNumbers: 0, loadedAt: 1 }, samplePlan: false,
      rules: { users: 7, departments: 5, trunks: 10 }, portal: null,
    });
    expect(text).toContain('.env           /srv/b24pbx/.env');
    expect(text).toContain('PBX            none (AMI_HOST not set): no click-to-call, no call tracking');
    expect(text).toContain('Bitrix24       app mode, no portal installed yet');
    expect(text).toContain('numbering plan none imported');
    expect(text).toContain('--user <user id>');
    expect(text).not.toContain('pw@');
    expect(text).not.toContain('DEMO');
  });
});
