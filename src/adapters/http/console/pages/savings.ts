import type { SavingsSummary } from '../../../../app/console/ports.ts';
import type { PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice, tallyTable } from '../layout.ts';

const money = (n: number): string => n.toFixed(2);

/** The savings report when one is wired in; otherwise a plain "not available". */
export function savingsPage(ctx: PageContext, o: { readonly summary: SavingsSummary | null; readonly from: string; readonly to: string; readonly by: string; readonly error: string | null }): Html {
  const t = ctx.t;
  if (o.summary === null && o.error === null) return layout(ctx, t('savings'), notice('info', t('savingsAbsent')));
  const s = o.summary;
  return layout(ctx, t('savings'), html`
<form method="get" action="/console/savings" class="search">
<label>${t('from')}<input name="from" type="date" value="${o.from}"></label><label>${t('to')}<input name="to" type="date" value="${o.to}"></label>
<label>${t('group')}<select name="by">${['carrier', 'department', 'trunk', 'day'].map((b) => html`<option${b === o.by ? html` selected` : ''}>${b}</option>`)}</select></label>
<button type="submit">${t('search')}</button></form>
${o.error ? notice('error', o.error) : ''}
${s ? html`${tallyTable([t('minutes'), t('actualCost'), t('baselineCost'), t('saving')], [[s.minutes, money(s.actualCost), money(s.baselineCost), `${money(s.baselineCost - s.actualCost)} (${s.savingPct.toFixed(1)} %)`]])}
${s.groups ? tallyTable([t('group'), t('minutes'), t('actualCost'), t('baselineCost')], s.groups.map((g) => [g.key, g.minutes, money(g.actualCost), money(g.baselineCost)])) : ''}
<h2>${t('advice')}</h2><ul>${s.advice.map((a) => html`<li>${a}</li>`)}</ul>` : ''}`);
}
