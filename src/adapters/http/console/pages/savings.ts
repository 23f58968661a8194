import type { SavingsViews } from '../../../../app/console/ports.ts';
import { overCheapestPct, savingPct } from '../../../../core/savings/report.ts';
import type { SavingsFigures } from '../../../../core/savings/types.ts';
import type { PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice, tallyTable } from '../layout.ts';
import { barPlot, columnPlot, ringPlot } from '../plots.ts';

export const SAVINGS_BY = ['carrier', 'department', 'trunk', 'day'] as const;

/** The files the page offers for download: the report and each plot. */
export const SAVINGS_EXPORTS = ['report.csv', 'report.json', 'cost-per-day.svg', 'share-by-carrier.svg', 'saving-by-department.svg'] as const;
export type SavingsExport = (typeof SAVINGS_EXPORTS)[number];

export interface SavingsForm {
  readonly from: string;
  readonly to: string;
  readonly by: (typeof SAVINGS_BY)[number];
}

/** Units → roubles to the kopeck, half up — as the CLI prints them (exact integers until here). */
const kopecks = (units: number): number => Math.round(units / 100) / 100;
const money = (units: number): string => kopecks(units).toFixed(2);

/** One of the three plots, as an SVG that renders inline and stands alone when downloaded. */
export function savingsPlot(ctx: PageContext, views: SavingsViews, which: 'cost-per-day.svg' | 'share-by-carrier.svg' | 'saving-by-department.svg'): Html {
  const t = ctx.t;
  if (which === 'cost-per-day.svg') {
    const lines = views.byDay.lines;
    return columnPlot('plot-cost-per-day', t('costPerDay'), lines.map((l) => ({
      key: l.key, value: kopecks(l.actualUnits), label: `${l.key}: ${money(l.actualUnits)} (${t('baselineCost')}: ${money(l.baselineUnits)})`,
    })), lines.map((l) => kopecks(l.baselineUnits)));
  }
  if (which === 'share-by-carrier.svg') {
    return ringPlot('plot-share-by-carrier', t('shareByCarrier'), views.byCarrier.lines.map((l) => ({
      key: l.key, value: kopecks(l.actualUnits), label: `${l.key} ${money(l.actualUnits)}`,
    })));
  }
  return barPlot('plot-saving-by-department', t('savingByDepartment'), views.byDepartment.lines.map((l) => ({
    key: l.key, value: kopecks(l.baselineUnits - l.actualUnits), label: l.name ?? l.key,
  })));
}

function exportLinks(ctx: PageContext, form: SavingsForm): Html {
  const query = new URLSearchParams({ ...(form.from ? { from: form.from } : {}), ...(form.to ? { to: form.to } : {}), by: form.by }).toString();
  return html`<p id="savings-export">${ctx.t('export')}: ${SAVINGS_EXPORTS.map((f, i) => html`${i > 0 ? ' · ' : ''}<a href="/console/savings/export/${f}?${query}" download="${f}">${f}</a>`)}</p>`;
}

/** The savings report with its plots when one is wired in; otherwise a plain "not available". */
export function savingsPage(ctx: PageContext, o: { readonly views: SavingsViews | null; readonly form: SavingsForm; readonly error: string | null; readonly available: boolean }): Html {
  const t = ctx.t;
  if (!o.available) return layout(ctx, t('savings'), notice('info', t('savingsAbsent')));
  const form = html`<form method="get" action="/console/savings" class="search" id="savings-form">
<label>${t('from')}<input name="from" type="date" value="${o.form.from}"></label><label>${t('to')}<input name="to" type="date" value="${o.form.to}"></label>
<label>${t('group')}<select name="by">${SAVINGS_BY.map((b) => html`<option${b === o.form.by ? html` selected` : ''}>${b}</option>`)}</select></label>
<button type="submit">${t('search')}</button></form>`;
  if (o.views === null) return layout(ctx, t('savings'), html`${form}${o.error ? notice('error', o.error) : ''}`);
  const report = o.views.report;
  const r = report.total;
  const minutes = (f: SavingsFigures): number => Math.round((f.billedSec / 60) * 100) / 100;
  const totals = html`<table id="savings-totals"><tbody>
<tr><th>${t('count')}</th><td data-field="calls">${r.calls}</td></tr>
<tr><th>${t('minutes')}</th><td data-field="minutes">${minutes(r)}</td></tr>
<tr><th>${t('actualCost')}</th><td data-field="actualCost">${money(r.actualUnits)}</td></tr>
<tr><th>${t('baselineCost')}</th><td data-field="baselineCost">${money(r.baselineUnits)}</td></tr>
<tr><th>${t('saving')}</th><td data-field="saving">${money(r.baselineUnits - r.actualUnits)} (${savingPct(r).toFixed(1)} %)</td></tr>
<tr><th>${t('cheapestCost')}</th><td data-field="cheapestCost">${money(r.cheapestUnits)} (+${overCheapestPct(r).toFixed(1)} %)</td></tr>
</tbody></table>${report.callsWithoutBaseline > 0 ? html`<p>${t('withoutBaseline')}: ${report.callsWithoutBaseline}</p>` : ''}`;
  const groups = tallyTable(
    [t('group'), t('count'), t('minutes'), t('actualCost'), t('baselineCost'), t('cheapestCost'), t('saving')],
    report.lines.map((g) => [g.name && g.name !== g.key ? `${g.key} (${g.name})` : g.key, g.calls, minutes(g), money(g.actualUnits), money(g.baselineUnits), money(g.cheapestUnits), `${money(g.baselineUnits - g.actualUnits)} (${savingPct(g).toFixed(1)} %)`]),
  );
  const plots = html`<div class="plots">${savingsPlot(ctx, o.views, 'cost-per-day.svg')}${savingsPlot(ctx, o.views, 'share-by-carrier.svg')}${savingsPlot(ctx, o.views, 'saving-by-department.svg')}</div>`;
  return layout(ctx, t('savings'), html`${form}${exportLinks(ctx, o.form)}${totals}${plots}
<h2>${t('group')}: ${o.form.by}</h2><div id="savings-groups">${groups}</div>
<h2>${t('advice')}</h2><ul id="savings-advice">${report.advice.length === 0 ? html`<li>${t('noAdvice')}</li>` : report.advice.map((a) => html`<li>${a.message}</li>`)}</ul>`);
}
