import type { CarrierIndexState } from '../app/numbering/carrier-index-store.ts';
import type { Env } from '../config/env.ts';

/** What a started connector actually uses, as `npm start` reports it. */
export interface StartFacts {
  readonly demo: boolean;
  /** The .env file read at start, or null when there was none. */
  readonly dotEnv: string | null;
  /** The environment the connector runs with (in the demo: the doubles' addresses filled in). */
  readonly env: Readonly<Env>;
  /** Where this host reaches the HTTP server. */
  readonly httpUrl: string;
  readonly agiPort: number;
  readonly carriers: CarrierIndexState;
  /** The active plan is the generated sample shipped in carrier-db/. */
  readonly samplePlan: boolean;
  readonly rules: { readonly users: number; readonly departments: number; readonly trunks: number };
  /** The Bitrix24 portal events are accepted from (its domain), or null when none is connected. */
  readonly portal: string | null;
}

/** A database address without its password (secrets never reach the output). */
export function describeDatabase(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return `SQLite ${url}`;
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

function plan(f: StartFacts): string {
  const p = f.carriers.plan;
  if (!p) return 'none imported: every carrier is unknown until `npx b24pbx carriers import <files>`';
  const files = p.files.map((x) => x.name.split(/[\\/]/).pop()).join(', ');
  const what = f.samplePlan ? 'the generated sample (synthetic ranges, not the official registry)' : `version ${p.id}`;
  return `${what}: ${p.rows.toLocaleString('en')} ranges from ${files}, imported ${new Date(p.importedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The lines `npm start` prints once everything runs: what is in use, then what to try. */
export function startSummary(f: StartFacts): string {
  const { env } = f;
  const used: [string, string][] = [
    ['.env', f.dotEnv ?? 'none (defaults and the process environment)'],
    ['PBX', f.demo ? `in-process Asterisk double (AMI ${env.AMI_HOST}:${env.AMI_PORT})` : env.AMI_HOST ? `AMI ${env.AMI_HOST}:${env.AMI_PORT}` : 'none (AMI_HOST not set): no click-to-call, no call tracking'],
    ['Bitrix24', f.demo ? `in-process portal double (${f.portal ?? 'not installed'})`
      : env.B24_MODE ? `${env.B24_MODE} mode, ${f.portal ? `portal ${f.portal}` : 'no portal installed yet (install the app on the portal)'}` : 'none (B24_MODE not set)'],
    ['database', describeDatabase(env.DATABASE_URL)],
    ['numbering plan', plan(f)],
    ['ported numbers', f.carriers.portedNumbers > 0 ? f.carriers.portedNumbers.toLocaleString('en') : 'none imported'],
    ['rules', `${env.RULES_DIR}: ${f.rules.users} users, ${f.rules.departments} departments, ${f.rules.trunks} trunks`],
    ['HTTP', `${f.httpUrl} (events: ${env.PUBLIC_URL ?? f.httpUrl}/bitrix24/events)`],
    ['FastAGI', `${env.AGI_HOST}:${f.agiPort}`],
  ];
  const user = f.demo ? '1' : '<user id>';
  const tries: [string, string][] = [
    [`curl ${f.httpUrl}/readyz`, 'ready? (database, AMI, Bitrix24)'],
    [`npx b24pbx route explain --user ${user} --number +79261234567`, 'which trunks a call would take, and why'],
    ['npx b24pbx carriers lookup +79261234567', 'the carrier of a number'],
    ['npx b24pbx calls list', f.demo ? 'the calls placed (the demo\'s scripted click-to-calls)' : 'the calls placed'],
    ['npx b24pbx users list', 'the users routing knows'],
    ['npx b24pbx carriers import <files>', 'the official numbering plan (docs/numbering-plan.md)'],
  ];
  if (f.demo) tries.push(['npm run demo', 'the scripted calls 20 times faster, on a throw-away database']);
  const width = Math.max(...tries.map(([c]) => c.length));
  return [
    f.demo ? '*** DEMO MODE: no PBX (AMI_HOST) and no Bitrix24 portal (B24_MODE) configured; nothing here reaches a real PBX or CRM.' : '*** The connector is running.',
    '*** In use:',
    ...used.map(([k, v]) => `***   ${k.padEnd(15)}${v}`),
    ...(f.demo ? ['*** To connect a real PBX and portal, configure .env (see .env.example).'] : []),
    '*** Try next:',
    ...tries.map(([c, why]) => `***   ${c.padEnd(width)}  ${why}`),
  ].join('\n');
}
