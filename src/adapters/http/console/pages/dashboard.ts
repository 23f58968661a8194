import type { Dashboard } from '../../../../app/console/dashboard.ts';
import { formatTime, type PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import type { MessageKey } from '../i18n.ts';
import { layout, tallyTable } from '../layout.ts';

function stateCell(ok: boolean, text: string): Html {
  return html`<span class="${ok ? 'state-ok' : 'state-bad'}">${text}</span>`;
}

export function dashboardPage(ctx: PageContext, d: Dashboard): Html {
  const t = ctx.t;
  const checkName = (name: string): string => (['database', 'ami', 'crm'].includes(name) ? t(`check_${name}` as MessageKey) : name);
  return layout(ctx, t('dashboard'), html`
<h2 id="alerts">${t('alerts')}</h2>
${d.alerts.length === 0 ? html`<p class="state-ok">${t('noAlerts')}</p>` : tallyTable([t('alertKind'), t('detail'), t('alertSince'), t('alertCount')], d.alerts.map((a) => [
    stateCell(false, a.kind), a.message, formatTime(ctx, a.since), a.count,
  ]))}
<section class="grid">
<div><h2>${t('health')}</h2>${tallyTable([t('name'), t('state')], d.checks.map((c) => [checkName(c.name), stateCell(c.ok, c.ok ? t('ok') : t('down'))]))}
<p>${t('rulesInUse')}: <strong>v${d.rulesVersion}</strong></p></div>
<div><h2>${t('outboxDepth')}</h2>${tallyTable([t('state'), t('count')], Object.entries(d.outbox).map(([k, v]) => [k, v]))}</div>
</section>
<h2 id="calls-today">${t('callsToday')} (${t('since')} ${formatTime(ctx, d.since)}): ${d.totalCalls}</h2>
<section class="grid">
<div><h2>${t('byOutcome')}</h2>${tallyTable([t('outcome'), t('count')], d.byOutcome.map((r) => [r.key, r.calls]))}</div>
<div><h2>${t('byTrunk')}</h2>${tallyTable([t('trunk'), t('count')], d.byTrunk.map((r) => [r.key, r.calls]))}</div>
<div><h2>${t('byDepartment')}</h2>${tallyTable([t('name'), t('count')], d.byDepartment.map((r) => [r.key, r.calls]))}</div>
</section>
<h2>${t('trunks')}</h2>
${tallyTable([t('trunk'), t('name'), t('kind'), t('carrier'), t('state'), t('detail')], d.trunks.map((tr) => [
    tr.id, tr.name, tr.kind, tr.carrier ?? '—', stateCell(tr.state === 'ok', tr.state), tr.detail ?? '',
  ]))}`);
}
