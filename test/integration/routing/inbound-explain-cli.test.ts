import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInboundExplain } from '../../../src/adapters/cli/commands/inbound.ts';
import { CliFailure } from '../../../src/adapters/cli/failure.ts';
import { loadRules } from '../../../src/adapters/rules/load.ts';

const RULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../rules');

function deps() {
  const out: string[] = [];
  return {
    out,
    loadRules: () => {
      const r = loadRules(RULES);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      return r.compiled;
    },
    stdout: (t: string) => out.push(t),
    stderr: () => undefined,
  };
}

describe('npx b24pbx inbound explain (the shipped rules)', () => {
  it('a weekday call pressing 2: the support group in order, then the employee, then hang up', async () => {
    const d = deps();
    await runInboundExplain({ did: '+7 495 123-45-00', from: '79161234567', at: '2026-12-02T12:00:00+03:00', keys: '2' }, d);
    const text = d.out.join('');
    expect(text).toContain('main#1: 2026-12-02 12:00 (Europe/Moscow) is inside the hours → next step');
    expect(text).toContain('key 2 → scenario "support"');
    expect(text).toMatch(/dial PJSIP\/102 for 20 s[\s\S]*dial PJSIP\/300 for 20 s[\s\S]*dial PJSIP\/102 for 20 s/);
    expect(text).toContain('end: hang up: hang-up step support#3');
  });

  it('New Year at noon is a holiday: the closed scenario (JSON)', async () => {
    const d = deps();
    await runInboundExplain({ did: '74951234500', at: '2027-01-01T12:00:00+03:00', json: true }, d);
    const json = JSON.parse(d.out.join('')) as { steps: { text: string; reasons: string[] }[] };
    expect(json.steps[0]?.reasons.join(' ')).toContain('is a holiday → scenario "closed"');
    expect(json.steps.map((s) => s.text)).toEqual(['play closed', 'hang up (hang-up step closed#2)']);
  });

  it.each([
    [{ did: 'abc' }, '--did: "abc" is not a phone number'],
    [{ did: '74951234500', at: 'tomorrow' }, '--at: "tomorrow" is not an ISO date-time'],
    [{ did: '74951234500', keys: '1,a' }, '--keys: "a" is not keys pressed'],
  ])('bad input %j is refused, naming the option', async (opts, message) => {
    const err = await runInboundExplain(opts, deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliFailure);
    expect((err as CliFailure).message).toContain(message);
  });
});
