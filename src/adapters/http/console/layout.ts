import type { PageContext } from './context.ts';
import { html, type Html } from './html.ts';
import type { MessageKey } from './i18n.ts';

const NAV: readonly { readonly path: string; readonly key: MessageKey; readonly admin?: boolean }[] = [
  { path: '/console/', key: 'dashboard' },
  { path: '/console/calls', key: 'calls' },
  { path: '/console/route', key: 'simulator' },
  { path: '/console/numbering', key: 'numbering' },
  { path: '/console/rules', key: 'rules' },
  { path: '/console/outbox', key: 'outbox' },
  { path: '/console/savings', key: 'savings' },
  { path: '/console/audit', key: 'audit', admin: true },
];

/** A POST form with the session's CSRF token; `confirm` asks before sending (console.js). */
export function postForm(ctx: PageContext, action: string, label: string, fields: Readonly<Record<string, string>> = {}, confirm = false): Html {
  return html`<form method="post" action="${action}" class="inline"${confirm ? html` data-confirm="${ctx.t('confirm')}"` : ''}>
<input type="hidden" name="_csrf" value="${ctx.csrf}">${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<button type="submit">${label}</button></form>`;
}

export function notice(kind: 'ok' | 'error' | 'info', body: Html | string): Html {
  return html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${body}</div>`;
}

/** The page frame: navigation, the user and role, the language switch, sign-out. */
export function layout(ctx: PageContext, title: string, body: Html): Html {
  const other = ctx.lang === 'ru' ? 'en' : 'ru';
  return html`<!doctype html>
<html lang="${ctx.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${ctx.t('title')}</title><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script></head>
<body><header><strong>${ctx.t('title')}</strong>
${ctx.user ? html`<nav>${NAV.filter((n) => !n.admin || ctx.user?.role === 'admin').map((n) => html`<a href="${n.path}"${ctx.path === n.path ? html` aria-current="page"` : ''}>${ctx.t(n.key)}</a>`)}</nav>` : ''}
<span class="who">${ctx.user ? html`<span data-user="${ctx.user.name}">${ctx.user.name} (${ctx.t(`role_${ctx.user.role}`)})</span> ${postForm(ctx, '/console/logout', ctx.t('signOut'))}` : ''}
<a href="?lang=${other}" hreflang="${other}" class="lang">${other === 'en' ? 'English' : 'Русский'}</a></span></header>
<main><h1>${title}</h1>${body}</main></body></html>`;
}

/** A plain table; an empty one says so with a dash rather than showing bare headings. */
export function tallyTable(head: readonly string[], rows: readonly (readonly (string | number | Html)[])[]): Html {
  const body = rows.length === 0 ? html`<tr><td colspan="${head.length}">—</td></tr>` : rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`);
  return html`<table><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${body}</tbody></table>`;
}
