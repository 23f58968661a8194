import type { SavingsViews } from '../../../../app/console/ports.ts';
import { savingsToJson } from '../../../../app/savings/render.ts';
import { rub } from '../../../../core/savings/money.ts';
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

const money = (n: number): string => n.toFixed(2);

/** One of the three plots, as an SVG that renders inline and stands alone when downloaded. */
export function savingsPlot(ctx: PageContext, views: SavingsViews, which: 'cost-per-day.svg' | 'share-by-carrier.svg' | 'saving-by-department.svg'): Html {
  const t = ctx.t;
  if (which === 'cost-per-day.svg') {
    const lines = views.byDay.lines;
    return columnPlot('plot-cost-per-day', t('costPerDay'), lines.map((l) => ({
      key: l.key, value: rub(l.actualUnits), label: `${l.key}: ${money(rub(l.actualUnits))} (${t('baselineCost')}: ${money(rub(l.baselineUnits))})`,
    })), lines.map((l) => rub(l.baselineUnits)));
  }
  if (which === 'share-by-carrier.svg') {
    return ringPlot('plot-share-by-carrier', t('shareByCarrier'), views.byCarrier.lines.map((l) => ({
      key: l.key, value: rub(l.actualUnits), label: `${l.key} ${money(rub(l.actualUnits))}`,
    })));
  }
  return barPlot('plot-saving-by-department', t('savingByDepartment'), views.byDepartment.lines.map((l) => ({
    key: l.key, value: rub(l.baselineUnits - l.actualUnits), label: l.name ?? l.key,
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
  const r = savingsToJson(o.views.report);
  const totals = html`<table id="savings-totals"><tbody>
<tr><th>${t('count')}</th><td data-field="calls">${r.calls}</td></tr>
<tr><th>${t('minutes')}</th><td data-field="minutes">${r.minutes}</td></tr>
<tr><th>${t('actualCost')}</th><td data-field="actualCost">${money(r.actualCost)}</td></tr>
<tr><th>${t('baselineCost')}</th><td data-field="baselineCost">${money(r.baselineCost)}</td></tr>
<tr><th>${t('saving')}</th><td data-field="saving">${money(r.saving)} (${r.savingPct.toFixed(1)} %)</td></tr>
<tr><th>${t('cheapestCost')}</th><td data-field="cheapestCost">${money(r.cheapestCost)} (+${r.overCheapestPct.toFixed(1)} %)</td></tr>
</tbody></table>${r.callsWithoutBaseline > 0 ? html`<p>${t('withoutBaseline')}: ${r.callsWithoutBaseline}</p>` : ''}`;
  const groups = tallyTable(
    [t('group'), t('count'), t('minutes'), t('actualCost'), t('baselineCost'), t('cheapestCost'), t('saving')],
    r.groups.map((g) => [g.name && g.name !== g.key ? `${g.key} (${g.name})` : g.key, g.calls, g.minutes, money(g.actualCost), money(g.baselineCost), money(g.cheapestCost), `${money(g.saving)} (${g.savingPct.toFixed(1)} %)`]),
  );
  const plots = html`<div class="plots">${savingsPlot(ctx, o.views, 'cost-per-day.svg')}${savingsPlot(ctx, o.views, 'share-by-carrier.svg')}${savingsPlot(ctx, o.views, 'saving-by-department.svg')}</div>`;
  return layout(ctx, t('savings'), html`${form}${exportLinks(ctx, o.form)}${totals}${plots}
<h2>${t('group')}: ${o.form.by}</h2><div id="savings-groups">${groups}</div>
<h2>${t('advice')}</h2><ul id="savings-advice">${r.advice.length === 0 ? html`<li>${t('noAdvice')}</li>` : r.advice.map((a) => html`<li>${a.message}</li>`)}</ul>`);
}
