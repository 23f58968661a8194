import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import type { AlertNotifier } from './alerts.ts';

export const NOTIFY_METHOD = 'im.notify.system.add';

/**
 * Alert notices as Bitrix24 system notifications (im.notify.system.add) to each configured user.
 * Sent directly, not through the CRM outbox: an alert is about now (one delivered hours later, after
 * a portal outage, is noise), it must not queue behind the very writes it may be warning about, and
 * a notice the outbox parked would raise a parked-write alert of its own. A transient failure is
 * tried again a few times; then the notice is given up (logged) and the dashboard still shows it.
 */
export function bitrix24Notifier(o: {
  readonly gateway: () => B24Gateway | null;
  readonly userIds: readonly string[];
  readonly attempts?: number;
  readonly wait?: (ms: number) => Promise<void>;
}): AlertNotifier {
  const attempts = o.attempts ?? 3;
  const wait = o.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  return {
    async send(text, tag) {
      const failed: string[] = [];
      for (const userId of o.userIds) {
        for (let attempt = 1; ; attempt += 1) {
          const gateway = o.gateway();
          if (!gateway) throw new Error('no Bitrix24 portal is connected');
          // TAG: a newer notice of the same alert replaces the older one in the user's list.
          const r = await gateway.call(NOTIFY_METHOD, { USER_ID: userId, MESSAGE: text, TAG: `b24pbx-alert:${tag}` });
          if (r.ok) break;
          if (r.error.kind === 'permanent' || attempt >= attempts) {
            failed.push(`user ${userId}: ${r.error.code} ${r.error.description}`);
            break;
          }
          await wait(1000 * 2 ** (attempt - 1));
        }
      }
      if (failed.length > 0) throw new Error(`${NOTIFY_METHOD} failed for ${failed.join('; ')}`);
    },
  };
}
