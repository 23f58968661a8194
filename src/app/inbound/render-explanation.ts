import type { CountryCode } from 'libphonenumber-js';
import { normalizePhone } from '../../core/phone/normalize.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import { describeAction, type Explanation } from '../../core/scenarios/explain.ts';
import type { ResponsibleFacts } from '../../core/scenarios/responsible-step.ts';

export interface ExplainRequest {
  readonly did: string;
  readonly caller: string | null;
  /** ms since the epoch. */
  readonly at: number;
  readonly timezone: string;
  readonly keys: readonly string[];
}

/** `inbound explain` for a terminal: one numbered action per line, its reasons indented above it. */
export function explanationToText(req: ExplainRequest, e: Explanation): string {
  const lines = [
    `call to ${req.did}${req.caller === null ? '' : ` from ${req.caller}`} at ${new Date(req.at).toISOString()} (${req.timezone}), keys: ${req.keys.length === 0 ? 'none' : req.keys.join(', ')}`,
    'nobody answers, so every fallback shows:',
  ];
  e.steps.forEach((s, i) => {
    for (const r of s.reasons) lines.push(`     ${r}`);
    lines.push(`  ${String(i + 1).padStart(2)}. ${describeAction(s.action)}`);
  });
  lines.push(`end: ${e.end}`);
  lines.push(`missed (nobody answered): ${e.missedOwner === null ? 'not written to the CRM (nobody rang, no missedCallOwner)' : `owned by user ${e.missedOwner.user} (${e.missedOwner.why})`}`);
  return lines.join('\n');
}

export function explanationToJson(req: ExplainRequest, e: Explanation): Record<string, unknown> {
  return {
    did: req.did,
    caller: req.caller,
    at: new Date(req.at).toISOString(),
    timezone: req.timezone,
    keys: req.keys,
    steps: e.steps.map((s) => ({ action: s.action, text: describeAction(s.action), reasons: s.reasons })),
    end: e.end,
    missedOwner: e.missedOwner,
  };
}

/** `--keys 1,2` / `?keys=1,101`: one entry per read (an extension is one entry). */
export function parseKeys(text: string | undefined): string[] | { readonly error: string } {
  if (text === undefined || text.trim() === '') return [];
  const keys = text.split(',').map((k) => k.trim());
  const bad = keys.find((k) => !/^[0-9*#]{1,10}$/.test(k));
  return bad === undefined ? keys : { error: `keys: "${bad}" is not keys pressed (digits, * and #, comma-separated)` };
}

/** `--at 2026-12-02T12:00:00+03:00` (or without a zone: the rules' wall clock is not guessed, UTC is). */
export function parseAt(text: string | undefined, now: number): number | { readonly error: string } {
  if (text === undefined || text.trim() === '') return now;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? { error: `at: "${text}" is not an ISO date-time such as 2026-12-02T12:00:00+03:00` } : ms;
}

/** What explain assumes the CRM and the PBX say: `--responsible 7 --responsible-phones … --offline 101,400`. */
export function parseWhatIf(
  o: { readonly responsible?: string | undefined; readonly responsiblePhones?: string | undefined; readonly offline?: string | undefined },
  rules: CompiledRules,
): { readonly responsible: ResponsibleFacts | null; readonly offline: string[] } | { readonly error: string } {
  const list = (text: string | undefined): string[] => (text ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  const user = o.responsible?.trim();
  if (user !== undefined && user !== '' && !/^\d{1,10}$/.test(user)) return { error: `responsible: "${o.responsible}" is not a Bitrix24 user id` };
  const phones: string[] = [];
  for (const p of list(o.responsiblePhones)) {
    const n = normalizePhone(p, { defaultCountry: rules.defaultCountry as CountryCode });
    if (!n.ok) return { error: `responsible-phones: "${p}" is not a phone number` };
    phones.push(n.number.e164);
  }
  const offline = list(o.offline);
  const bad = offline.find((e) => !/^\d{1,10}$/.test(e));
  if (bad !== undefined) return { error: `offline: "${bad}" is not an extension` };
  return {
    responsible: user === undefined || user === '' ? null : { user, extension: null, phones, timeman: null },
    offline: offline.map((ext) => rules.inbound.rules.phoneDial.replaceAll('{extension}', ext)),
  };
}
