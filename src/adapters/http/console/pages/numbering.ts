import type { PlanVersionView } from '../../../../app/console/ports.ts';
import { formatTime, type PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice, postForm, tallyTable } from '../layout.ts';

export type LookupResult = { readonly ok: true; readonly e164: string; readonly carrier: string; readonly region: string | null } | { readonly ok: false; readonly message: string };

/** Upload and import (console.js sends the files, starts the import and shows its progress). */
function uploadForm(ctx: PageContext): Html {
  const t = ctx.t;
  return html`<h2>${t('importPlan')}</h2>
<form id="plan-upload" data-plan-upload method="post" action="/console/numbering/imports" class="search"
 data-msg-uploading="${t('uploading')}" data-msg-importing="${t('importing')}" data-msg-failed="${t('importFailed')}">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<label>${t('importFiles')}<input type="file" name="files" multiple required accept=".csv,.txt,text/csv"></label>
<label class="check"><span><input type="checkbox" name="force" value="1"> ${t('importForce')}</span></label>
<button type="submit">${t('importStart')}</button></form>
<div id="import-box" class="notice info" hidden><progress id="import-progress" value="0" max="1"></progress> <span id="import-status" role="status"></span></div>`;
}

export function numberingPage(ctx: PageContext, o: {
  readonly number: string;
  readonly lookup: LookupResult | null;
  readonly history: readonly PlanVersionView[];
  readonly message: Html | null;
}): Html {
  const t = ctx.t;
  const lookup = o.lookup === null ? '' : o.lookup.ok
    ? notice('info', html`<span id="lookup-result">${o.lookup.e164}: ${o.lookup.carrier}${o.lookup.region ? ` · ${o.lookup.region}` : ''}</span>`)
    : notice('error', o.lookup.message);
  return layout(ctx, t('numbering'), html`${o.message ?? ''}
<form method="get" action="/console/numbering" class="search"><label>${t('number')}<input name="number" value="${o.number}"></label><button type="submit">${t('lookup')}</button></form>
${lookup}
<h2>${t('history')}</h2>
${tallyTable([t('version'), t('imported'), t('files'), t('rows'), t('numbers'), t('state')], o.history.map((v) => [
    `v${v.id}`, formatTime(ctx, v.importedAt), v.files.map((f) => `${f.name} (${f.rows})`).join(', '), v.rows, v.numbers, v.active ? t('active') : '',
  ]))}
${ctx.user?.role === 'admin' ? uploadForm(ctx) : ''}
${ctx.user?.role === 'admin' ? html`<p>${t('rollbackPlanHint')} ${postForm(ctx, '/console/numbering/rollback', t('rollback'), {}, true)}</p>` : ''}`);
}
