import { formatRub, rub } from '../../core/savings/money.ts';
import { overCheapestPct, savingPct } from '../../core/savings/report.ts';
import type { SavingsFigures, SavingsReport } from '../../core/savings/types.ts';

const minutes = (billedSec: number): number => Math.round((billedSec / 60) * 100) / 100;

function figuresJson(f: SavingsFigures) {
  return {
    calls: f.calls,
    talkSeconds: f.talkSec,
    minutes: minutes(f.billedSec),
    actualCost: rub(f.actualUnits),
    baselineCost: rub(f.baselineUnits),
    cheapestCost: rub(f.cheapestUnits),
    saving: rub(f.baselineUnits - f.actualUnits),
    savingPct: savingPct(f),
    overCheapestPct: overCheapestPct(f),
  };
}

/** The report as JSON: money in roubles (exact to a ten-thousandth), minutes billed on the trunks used. */
export function savingsToJson(r: SavingsReport) {
  return {
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
    groupBy: r.groupBy,
    currency: 'RUB',
    ...figuresJson(r.total),
    /** How many times dearer sending everything through the default trunks would have been. */
    baselineRatio: r.total.actualUnits === 0 ? null : Math.round((r.total.baselineUnits / r.total.actualUnits) * 100) / 100,
    callsWithoutBaseline: r.callsWithoutBaseline,
    groups: r.lines.map((l) => ({ key: l.key, name: l.name, ...figuresJson(l) })),
    advice: r.advice.map((a) => ({
      kind: a.kind, department: a.department, departmentName: a.departmentName, carriers: a.carriers, calls: a.calls,
      fromTrunk: a.fromTrunk, fromPerMinute: a.fromPerMinute, toTrunk: a.toTrunk, toPerMinute: a.toPerMinute,
      saving: rub(a.savingUnits), rule: a.rule, message: a.message,
    })),
  };
}

const CSV_HEADER = ['group', 'name', 'calls', 'minutes', 'actual_cost', 'baseline_cost', 'cheapest_cost', 'saving', 'saving_pct'];

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  // Quote what a spreadsheet would split or run as a formula.
  return /[",\n\r]|^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line per group and a `total` line; money in roubles. */
export function savingsToCsv(r: SavingsReport): string {
  const row = (key: string, name: string | null, f: SavingsFigures) => [
    key, name, f.calls, minutes(f.billedSec), rub(f.actualUnits), rub(f.baselineUnits), rub(f.cheapestUnits), rub(f.baselineUnits - f.actualUnits), savingPct(f),
  ].map(csvCell).join(',');
  return [CSV_HEADER.join(','), ...r.lines.map((l) => row(l.key, l.name, l)), row('total', null, r.total)].join('\n') + '\n';
}

/** The report for a terminal. */
export function savingsToText(r: SavingsReport): string {
  const t = r.total;
  const out = [
    `Savings ${new Date(r.from).toISOString()} – ${new Date(r.to).toISOString()}: ${t.calls} answered calls, ${minutes(t.billedSec)} billed minutes`,
    `  actual cost          ${formatRub(t.actualUnits)} ₽`,
    `  all via default trunk ${formatRub(t.baselineUnits)} ₽  (saved ${formatRub(t.baselineUnits - t.actualUnits)} ₽, ${savingPct(t)} %)`,
    `  cheapest possible    ${formatRub(t.cheapestUnits)} ₽  (actual is ${overCheapestPct(t)} % above it)`,
  ];
  if (r.callsWithoutBaseline > 0) out.push(`  ${r.callsWithoutBaseline} calls have no known department: their baseline is their actual cost`);
  out.push('', `By ${r.groupBy}:`);
  for (const l of r.lines) {
    const label = l.name && l.name !== l.key ? `${l.key} (${l.name})` : l.key;
    out.push(`  ${label}: ${l.calls} calls, ${minutes(l.billedSec)} min, actual ${formatRub(l.actualUnits)} ₽, default trunk ${formatRub(l.baselineUnits)} ₽, cheapest ${formatRub(l.cheapestUnits)} ₽, saved ${savingPct(l)} %`);
  }
  out.push('', r.advice.length === 0 ? 'What would save more: nothing — every destination went through its cheapest trunk.' : 'What would save more:');
  for (const a of r.advice) out.push(`  • ${a.message}`);
  return out.join('\n') + '\n';
}
