import type { RulesVersionView, RulesCheck } from '../../../../app/console/ports.ts';
import type { RulesEditPreview } from '../../../../app/console/service.ts';
import { formatTime, type PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice, postForm, tallyTable } from '../layout.ts';

type Files = Readonly<Record<string, string>>;

export function rulesPage(ctx: PageContext, o: {
  readonly shown: (RulesVersionView & { readonly files: Files }) | null;
  readonly inUse: number | null;
  readonly history: readonly RulesVersionView[];
  readonly message: Html | null;
}): Html {
  const t = ctx.t;
  const admin = ctx.user?.role === 'admin';
  return layout(ctx, t('rules'), html`${o.message ?? ''}
${admin ? html`<p><a href="/console/rules/edit">${t('edit')}</a></p>` : ''}
${o.shown ? html`<h2>${t('version')} v${o.shown.version}${o.shown.version === o.inUse ? ` (${t('inUse')})` : ''}</h2>
${Object.entries(o.shown.files).sort(([a], [b]) => a.localeCompare(b)).map(([file, text]) => html`<h2>${file}</h2><pre>${text}</pre>`)}` : ''}
<h2>${t('history')}</h2>
${tallyTable([t('version'), t('created'), t('source'), ''], o.history.map((v) => [
    html`<a href="/console/rules?version=${v.version}">v${v.version}</a>${v.version === o.inUse ? ` (${t('inUse')})` : ''}`,
    formatTime(ctx, v.createdAt), v.source,
    admin && v.version !== o.inUse ? postForm(ctx, '/console/rules/rollback', `${t('rollback')} → v${v.version}`, { version: String(v.version) }, true) : '',
  ]))}`);
}

function checkNotice(ctx: PageContext, check: RulesCheck): Html {
  const warnings = check.warnings.length > 0 ? html`<p>${ctx.t('warnings')}:</p><ul>${check.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : '';
  if (check.ok) return notice('ok', html`${ctx.t('rulesOk')}${warnings}`);
  return notice('error', html`<p>${ctx.t('rulesErrors')}</p><ul id="rules-errors">${check.errors.map((e) => html`<li>${e}</li>`)}</ul>${warnings}`);
}

function diffView(ctx: PageContext, preview: RulesEditPreview): Html {
  if (preview.diff.length === 0) return html`<p>${ctx.t('noChanges')}</p>`;
  return html`<h2>${ctx.t('diff')}</h2>${preview.diff.map((f) => html`<h3>${f.file}</h3><pre class="diff">${f.lines.map((l) => html`<span class="${l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}">${l.op} ${l.text}</span>`)}</pre>`)}`;
}

/** The editor: one text area per rules file; check first (diff and errors), then store. */
export function rulesEditPage(ctx: PageContext, o: { readonly files: Files; readonly preview: RulesEditPreview | null; readonly message: Html | null }): Html {
  const t = ctx.t;
  const canSave = o.preview?.check.ok === true && o.preview.diff.length > 0;
  return layout(ctx, `${t('rules')}: ${t('edit')}`, html`${o.message ?? ''}
${o.preview ? html`${checkNotice(ctx, o.preview.check)}${diffView(ctx, o.preview)}` : ''}
<form method="post" action="/console/rules/preview" id="rules-edit">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
${Object.entries(o.files).sort(([a], [b]) => a.localeCompare(b)).map(([file, text]) => html`<h2>${file}</h2><textarea name="file:${file}" spellcheck="false">${text}</textarea>`)}
<p><button type="submit">${t('checkAndDiff')}</button>
${canSave ? html` <button type="submit" formaction="/console/rules/save" id="rules-save">${t('save')}</button>` : ''}</p></form>`);
}
