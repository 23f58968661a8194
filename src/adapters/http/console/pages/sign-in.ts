import type { PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, notice } from '../layout.ts';

export function signInPage(ctx: PageContext, o: { readonly loginToken: string; readonly error?: string; readonly name?: string }): Html {
  return layout(ctx, ctx.t('signIn'), html`${o.error ? notice('error', o.error) : ''}
<form method="post" action="/console/login" class="stack" id="sign-in">
<input type="hidden" name="_login" value="${o.loginToken}">
<label>${ctx.t('userName')}<input name="name" autocomplete="username" required value="${o.name ?? ''}" autofocus></label>
<label>${ctx.t('password')}<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${ctx.t('signIn')}</button></form>`);
}
