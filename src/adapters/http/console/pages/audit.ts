import type { AuditEntry } from '../../../../app/console/ports.ts';
import { formatTime, type PageContext } from '../context.ts';
import type { Html } from '../html.ts';
import { layout, tallyTable } from '../layout.ts';

export function auditPage(ctx: PageContext, entries: readonly AuditEntry[]): Html {
  const t = ctx.t;
  return layout(ctx, t('audit'), tallyTable([t('when'), t('who'), t('action'), t('target'), t('detail')], entries.map((e) => [
    formatTime(ctx, e.at), e.userName, e.action, e.target ?? '', e.detail ?? '',
  ])));
}
