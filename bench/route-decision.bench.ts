// Full route decisions per second and per-decision latency (targets: >= 200k decisions/s,
// p99 <= 20 µs) with the shipped example rules and the in-memory carrier index built from a
// synthetic numbering plan (400 DEF ranges over codes 900–999, the four big carriers).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCarrierMapping } from '../src/adapters/numbering-plan/carriers-config.ts';
import { loadRules } from '../src/adapters/rules/load.ts';
import { CarrierIndex, type PlanEntry } from '../src/core/numbering/carrier-index.ts';
import type { IndexedRange } from '../src/core/numbering/range-index.ts';
import { decideRoute } from '../src/core/routing/decide.ts';
import type { RouteRequest } from '../src/core/routing/types.ts';
import { routeCall } from '../src/app/routing/route-call.ts';
import type { HealthSnapshot, TrunkBlock } from '../src/core/health/snapshot.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const THROUGHPUT_DECISIONS = 1_000_000;
const LATENCY_SAMPLES = 300_000;
const EXPLAIN_DECISIONS = 50_000;

function syntheticIndex(): CarrierIndex {
  const entries: PlanEntry[] = [
    { operator: 'ПАО "МТС"', inn: '7740000076', region: 'г. Москва' },
    { operator: 'ПАО "МегаФон"', inn: '7812014560', region: 'г. Москва' },
    { operator: 'ПАО "ВЫМПЕЛКОМ"', inn: '7713076301', region: 'г. Москва' },
    { operator: 'ООО "Т2 Мобайл"', inn: '7743895280', region: 'г. Москва' },
  ];
  const ranges: IndexedRange[] = [];
  for (let code = 900; code <= 999; code++) {
    for (let part = 0; part < 4; part++) {
      ranges.push({ code, from: part * 2_500_000, to: part * 2_500_000 + 2_499_999, entry: (code + part) % entries.length });
    }
  }
  return CarrierIndex.build({ entries, ranges, mapping: loadCarrierMapping(path.join(root, 'rules')) });
}

/** A deterministic mix of callers, number spellings and a few manual lines. */
function requests(count: number): RouteRequest[] {
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const users = ['1', '2', '3', '4', '6'];
  const out: RouteRequest[] = [];
  for (let i = 0; i < count; i++) {
    const code = 900 + next(100);
    const sub = String(next(10_000_000)).padStart(7, '0');
    const spelling = next(4);
    const number =
      spelling === 0 ? `8 (${code}) ${sub.slice(0, 3)}-${sub.slice(3, 5)}-${sub.slice(5)}`
      : spelling === 1 ? `+7${code}${sub}`
      : spelling === 2 ? `7${code}${sub}`
      : `+7 ${code} ${sub}`;
    const user = users[next(users.length)] as string;
    out.push({ user, number, origin: next(3) === 0 ? 'phone' : 'crm', line: next(20) === 0 && user !== '4' ? 'beeline' : null });
  }
  return out;
}

export async function run(): Promise<void> {
  const loaded = loadRules(path.join(root, 'rules'));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const rules = loaded.compiled;
  const carriers = syntheticIndex();
  const pool = requests(10_000);
  console.log(`route-decision: shipped rules (${rules.trunks.length} trunks, ${rules.masks.length} masks), synthetic index of 400 ranges, ${pool.length} distinct requests`);

  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += decideRoute(rules, carriers, pool[i % pool.length] as RouteRequest).attempts.length;

  let t = process.hrtime.bigint();
  for (let i = 0; i < THROUGHPUT_DECISIONS; i++) sink += decideRoute(rules, carriers, pool[i % pool.length] as RouteRequest).attempts.length;
  let seconds = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`route-decision: ${Math.round(THROUGHPUT_DECISIONS / seconds).toLocaleString('en-US')} decisions/s (${THROUGHPUT_DECISIONS.toLocaleString('en-US')} in ${seconds.toFixed(2)} s; target >= 200,000)`);

  // Latency: each decision timed on its own, in batches of 10k so GC pauses land in the figures.
  const samples = new Float64Array(LATENCY_SAMPLES);
  for (let batch = 0; batch < LATENCY_SAMPLES; batch += 10_000) {
    for (let i = batch; i < batch + 10_000; i++) {
      const req = pool[i % pool.length] as RouteRequest;
      const start = process.hrtime.bigint();
      sink += decideRoute(rules, carriers, req).attempts.length;
      samples[i] = Number(process.hrtime.bigint() - start) / 1000;
    }
  }
  samples.sort();
  const pct = (p: number) => (samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? 0).toFixed(2);
  console.log(`route-decision: latency per decision p50 ${pct(0.5)} µs, p99 ${pct(0.99)} µs, p99.9 ${pct(0.999)} µs, max ${pct(1)} µs (target p99 <= 20 µs)`);

  // Trunk health: the same decisions with a snapshot keeping two trunks out of routes (a breaker
  // open, a SIM at its limit), through routeCall as the connector calls it; baseline beside it.
  const health: HealthSnapshot = new Map<string, TrunkBlock>([
    ['gsm-megafon', { kind: 'open', since: 0, until: 1, failures: [{ at: 0, cause: 68 }] }],
    ['sip-zorra', { kind: 'limit', limit: 'callsPerDay', used: 10, max: 10, until: null }],
  ]);
  const deps = { rules: { current: () => rules }, carriers: { current: () => carriers } };
  const withHealth = { ...deps, health: { snapshot: () => health, started() {}, outcome() {}, needsReservation: () => false, reserve: async () => true } };
  for (const [name, d] of [['routeCall without trunk health', deps], ['routeCall with a trunk health snapshot', withHealth]] as const) {
    t = process.hrtime.bigint();
    for (let i = 0; i < THROUGHPUT_DECISIONS; i++) sink += routeCall(d, pool[i % pool.length] as RouteRequest).attempts.length;
    seconds = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`route-decision: ${name}: ${Math.round(THROUGHPUT_DECISIONS / seconds).toLocaleString('en-US')} decisions/s`);
  }

  t = process.hrtime.bigint();
  for (let i = 0; i < EXPLAIN_DECISIONS; i++) sink += decideRoute(rules, carriers, pool[i % pool.length] as RouteRequest, { explain: true }).attempts.length;
  seconds = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`route-decision: with explain (trace text built): ${Math.round(EXPLAIN_DECISIONS / seconds).toLocaleString('en-US')} decisions/s`);
  if (sink === 0) console.log('route-decision: no attempts at all (unexpected)');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
