import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/adapters/rules/load.ts';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { UNKNOWN_CARRIER } from '../../../src/core/numbering/carrier.ts';

/** The README's "complete small example" must stay a rules directory that loads and routes. */
describe('the rules example in README.md', () => {
  const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n# (\S+\.yaml)[^\n]*\n([\s\S]*?)```/g)];

  it('has every rules file and loads without errors or warnings', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-rules-'));
    for (const [, name, body] of blocks) fs.writeFileSync(path.join(dir, name as string), body as string);
    expect(blocks.map((b) => b[1]).sort()).toEqual(
      ['caller-ids.yaml', 'carriers.yaml', 'crm.yaml', 'departments.yaml', 'masks.yaml', 'routing.yaml', 'trunks.yaml', 'users.yaml'],
    );
    const result = loadRules(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.warnings).toEqual([]);

    // HR may only use its Beeline SIM; a Sales manager gets the Beeline default for an unknown carrier.
    const hr = decideRoute(result.compiled, { lookup: () => UNKNOWN_CARRIER }, { user: '4', number: '+79031234567', origin: 'crm' });
    expect(hr.attempts.map((a) => a.trunk)).toEqual(['gsm-beeline']);
    const sales = decideRoute(result.compiled, { lookup: () => UNKNOWN_CARRIER }, { user: '1', number: '+74951112233', origin: 'crm' });
    expect(sales.refused).toBeNull();
    expect(sales.attempts[0]?.trunk).toBe('gsm-beeline');
  });
});
