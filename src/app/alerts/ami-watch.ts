import type { Alerts } from './alerts.ts';

/** The AMI session's comings and goings ('connected', 'disconnected' with a reason). */
export interface AmiEvents {
  on(event: 'connected' | 'disconnected', listener: (reason?: unknown) => void): unknown;
  off(event: 'connected' | 'disconnected', listener: (reason?: unknown) => void): unknown;
}

/** One-shot timers (injected in tests: no waiting for the grace period). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * AMI down is an alert once the session has stayed down for `graceMs` (ALERT_AMI_GRACE_S): a
 * reconnect within the grace, a PBX reload say, tells no one. Every login clears it, which also
 * clears an alert left by this connector before a restart.
 */
export function watchAmi(alerts: Alerts, ami: AmiEvents, o: { readonly graceMs: number; readonly timers?: Timers }): { startFailed(err: unknown): void; stop(): void } {
  const timers = o.timers ?? realTimers;
  let pending: unknown = null;
  let raised = false;
  const down = (reason: string): void => {
    if (pending !== null || raised) return;
    const raise = (): void => {
      pending = null;
      raised = true;
      const grace = o.graceMs > 0 ? ` for more than ${Math.round(o.graceMs / 1000)} s` : '';
      alerts.raise({ kind: 'ami-down', subject: '', message: `AMI is down${grace} (${reason}): no click-to-call, no call tracking` });
    };
    if (o.graceMs <= 0) raise();
    else pending = timers.set(raise, o.graceMs);
  };
  const cancel = (): void => {
    if (pending !== null) timers.clear(pending);
    pending = null;
  };
  const onDown = (reason: unknown): void => down(String(reason));
  const onUp = (): void => {
    cancel();
    raised = false;
    alerts.clear('ami-down');
  };
  ami.on('disconnected', onDown);
  ami.on('connected', onUp);
  return {
    startFailed: (err) => down(err instanceof Error ? err.message : String(err)),
    // Before the connector's own stop closes the session: that is no outage.
    stop() {
      cancel();
      ami.off('disconnected', onDown);
      ami.off('connected', onUp);
    },
  };
}
