import type { StoredCall } from '../../../../app/calls/call-record.ts';
import type { CallTrace } from '../../../../app/console/service.ts';
import { formatTime, type PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice, tallyTable } from '../layout.ts';

export interface CallSearchForm {
  readonly number: string;
  readonly user: string;
  readonly from: string;
  readonly to: string;
  readonly outcome: string;
}

const OUTCOMES = ['200', '304', '404', '480', '486', '503', '402', '603', '603-S', 'OTHER', 'refused'];

function outcomeOf(c: StoredCall): string {
  return c.statusCode ?? (c.refusalCode ? `refused ${c.refusalCode}` : c.state);
}

export function callLogPage(ctx: PageContext, form: CallSearchForm, calls: readonly StoredCall[], error: string | null): Html {
  const t = ctx.t;
  return layout(ctx, t('calls'), html`
<form method="get" action="/console/calls" class="search" id="call-search">
<label>${t('number')}<input name="number" value="${form.number}"></label>
<label>${t('user')}<input name="user" value="${form.user}"></label>
<label>${t('from')}<input name="from" type="date" value="${form.from}"></label>
<label>${t('to')}<input name="to" type="date" value="${form.to}"></label>
<label>${t('outcome')}<select name="outcome"><option value="">${t('any')}</option>${OUTCOMES.map((o) => html`<option${o === form.outcome ? html` selected` : ''}>${o}</option>`)}</select></label>
<button type="submit">${t('search')}</button></form>
${error ? notice('error', error) : ''}
${calls.length === 0 ? html`<p>${t('noCalls')}</p>` : tallyTable(
    [t('started'), t('number'), t('user'), t('origin'), t('outcome'), t('trunk'), t('duration')],
    calls.map((c) => [
      html`<a href="/console/calls/${encodeURIComponent(c.id)}">${formatTime(ctx, c.startedAt)}</a>`,
      c.numberE164 ?? c.number, `${c.userId ?? '—'} / ${c.extension ?? '—'}`, c.origin, outcomeOf(c), c.trunkId ?? '—', `${c.durationSec ?? 0} s`,
    ]),
  )}`);
}

export function callTracePage(ctx: PageContext, trace: CallTrace): Html {
  const t = ctx.t;
  const c = trace.call;
  const facts: [string, string][] = [
    ['ID', c.id], ['CRM CALL_ID', c.crmCallId ?? '—'], ['Linkedid', c.linkedid ?? '—'],
    [t('number'), `${c.numberE164 ?? c.number}${c.plan?.carrier ? ` (${c.plan.carrier})` : ''}`],
    [t('user'), `${c.userId ?? '—'} / ${c.extension ?? '—'}`], [t('origin'), c.origin], [t('line'), c.line ?? '—'],
    [t('started'), formatTime(ctx, c.startedAt)], [t('status'), `${c.statusCode ?? c.state}${c.failedReason ? ` (${c.failedReason})` : ''}`],
    [t('trunk'), c.trunkId ?? '—'], [t('duration'), `${c.durationSec ?? 0} s`],
  ];
  if (c.refusalCode) facts.push([t('refused'), `${c.refusalCode}: ${c.refusalMessage ?? ''}`]);
  if (c.stopReason) facts.push([t('stopReason'), c.stopReason]);
  return layout(ctx, `${t('calls')}: ${c.numberE164 ?? c.number}`, html`
${tallyTable(['', ''], facts)}
<h2>${t('plan')}</h2>
${c.plan && c.plan.attempts.length > 0 ? tallyTable(['#', t('trunk'), t('tier'), t('dial'), t('callerId'), t('perMinute'), t('why')], c.plan.attempts.map((a, i) => [
    i + 1, a.trunk, a.tier, a.dial, a.callerId ?? '—', a.perMinute, a.reason ?? '',
  ])) : html`<p>—</p>`}
<h2>${t('attempts')}</h2>
${trace.attempts.length === 0 ? html`<p>—</p>` : html`<table id="attempts"><thead><tr><th>#</th><th>${t('trunk')}</th><th>${t('dial')}</th><th>${t('callerId')}</th><th>${t('dialStatus')}</th><th>${t('cause')}</th><th>${t('decision')}</th><th>${t('source')}</th><th>${t('started')}</th></tr></thead><tbody>
${trace.attempts.map((a) => html`<tr><td>${a.attemptNo}</td><td>${a.trunkId ?? '—'}</td><td>${a.dial}</td><td>${a.callerId ?? '—'}</td><td>${a.dialStatus ?? '—'}</td><td>${a.hangupCause ?? '—'}</td>
<td>${a.decision === 'rotate' ? t('rotate') : a.decision === 'stop' ? t('stop') : '—'}</td><td>${a.outcomeSource ?? '—'}</td><td>${formatTime(ctx, a.startedAt)}</td></tr>`)}</tbody></table>`}
<h2>${t('crmWrites')}</h2>
${trace.crmWrites.length === 0 ? notice('info', t('noCrmWrites')) : tallyTable(
    [t('method'), t('state'), t('tries'), t('created'), t('updated'), t('lastError')],
    trace.crmWrites.map((w) => [w.method, w.state, w.attempts, formatTime(ctx, w.createdAt), formatTime(ctx, w.updatedAt), w.lastError ?? '']),
  )}`);
}
