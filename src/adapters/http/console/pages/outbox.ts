import type { ParkedWrite } from '../../../../app/console/ports.ts';
import { formatTime, type PageContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { layout, postForm, tallyTable } from '../layout.ts';

export function outboxPage(ctx: PageContext, o: { readonly counts: Readonly<Record<string, number>>; readonly parked: readonly ParkedWrite[]; readonly message: Html | null }): Html {
  const t = ctx.t;
  const admin = ctx.user?.role === 'admin';
  return layout(ctx, t('outbox'), html`${o.message ?? ''}
${tallyTable([t('state'), t('count')], Object.entries(o.counts).map(([k, v]) => [k, v]))}
<h2>${t('parked')}</h2>
${o.parked.length === 0 ? html`<p>${t('noParked')}</p>` : tallyTable(
    ['#', t('method'), 'key', t('tries'), t('created'), t('updated'), t('lastError'), ''],
    o.parked.map((w) => [w.id, w.method, w.dedupeKey, w.attempts, formatTime(ctx, w.createdAt), formatTime(ctx, w.updatedAt), w.lastError ?? '',
      admin ? postForm(ctx, `/console/outbox/${w.id}/retry`, t('retry')) : '']),
  )}`);
}
