import { decisionToText } from '../../../../app/routing/render-decision.ts';
import type { RouteDecision } from '../../../../core/routing/types.ts';
import type { PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice, tallyTable } from '../layout.ts';

export interface SimulatorForm {
  readonly user: string;
  readonly extension: string;
  readonly number: string;
  readonly origin: string;
  readonly line: string;
}

export function simulatorPage(ctx: PageContext, form: SimulatorForm, origins: readonly string[], result: { decision: RouteDecision } | { error: string } | null): Html {
  const t = ctx.t;
  let out: Html | string = '';
  if (result && 'error' in result) out = notice('error', result.error);
  else if (result) {
    const d = result.decision;
    out = html`${d.refused ? notice('error', `REFUSED ${d.refused.code}: ${d.refused.message}`) : tallyTable(
      ['#', t('trunk'), t('tier'), t('dial'), t('callerId'), t('perMinute'), t('why')],
      d.attempts.map((a, i) => [i + 1, a.trunk, a.tier, a.dial, a.callerId ?? '—', a.perMinute, `${a.reason ?? ''}${a.callerIdReason ? ` · ${a.callerIdReason}` : ''}`]),
    )}<h2>${t('trace')}</h2><pre id="explanation">${decisionToText(d)}</pre>`;
  }
  return layout(ctx, t('simulator'), html`
<form method="get" action="/console/route" class="search" id="simulator">
<label>${t('userId')}<input name="user" value="${form.user}"></label>
<label>${t('extension')}<input name="extension" value="${form.extension}"></label>
<label>${t('number')}<input name="number" value="${form.number}" required></label>
<label>${t('origin')}<select name="origin">${origins.map((o) => html`<option${o === form.origin ? html` selected` : ''}>${o}</option>`)}</select></label>
<label>${t('line')}<input name="line" value="${form.line}"></label>
<button type="submit">${t('explain')}</button></form>${out}`);
}
