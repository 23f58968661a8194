import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';

/**
 * A gateway for leader-only jobs: every request first checks the lease in the database, so a
 * leader that lost its lease mid-job (cut off, or another instance took over) stops there.
 */
export function fencedGateway(gateway: B24Gateway, check: () => Promise<void>): B24Gateway {
  return {
    call: async (method, params) => {
      await check();
      return gateway.call(method, params);
    },
    batch: async (commands) => {
      await check();
      return gateway.batch(commands);
    },
  };
}
