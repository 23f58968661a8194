import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createCallsSide, type CallsAmi } from '../../../src/composition/calls-side.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { capturingLogger } from '../../contracts/calls-harness.ts';
import { fixedRouting, labRules } from '../../contracts/calls-lab-rules.ts';
import { tempSqliteDb } from '../../support/db.ts';

type AmiEvent = Readonly<Record<string, string | undefined>>;

/** An AMI connection whose CoreShowChannels answers (an empty list) only when the test says so. */
class HeldAmi extends EventEmitter implements CallsAmi {
  connected = true;
  readonly asked: string[] = [];
  private readonly held: (() => void)[] = [];
  async originate(): Promise<{ actionId: string }> {
    throw new Error('not used');
  }
  action(fields: Record<string, string>): Promise<AmiEvent> {
    const actionid = `a${this.asked.length + 1}`;
    this.asked.push(fields.Action ?? '');
    return new Promise((resolve) => {
      this.held.push(() => {
        resolve({ response: 'Success', actionid });
        this.emit('event', { event: 'CoreShowChannelsComplete', actionid, listitems: '0' });
      });
    });
  }
  answerNext(): void {
    this.held.shift()?.();
  }
}

describe('comparing the tracker with the PBX channel list', () => {
  it('a reconnect during a comparison gets one of its own after it (never skipped, never two at once); stop waits for it', async () => {
    const t = await tempSqliteDb();
    const ami = new HeldAmi();
    const env = loadEnv({ AGI_HOST: '127.0.0.1', AGI_PORT: '0', TRACKER_RECONCILE_MS: '3600000' });
    const side = createCallsSide({ db: t.db, env, logger: capturingLogger().logger, routing: fixedRouting(labRules()), ami });
    try {
      await side.start();
      ami.emit('connected');
      expect(ami.asked).toEqual(['CoreShowChannels']);
      // Two reconnects while the first list is still coming: one more comparison, after it.
      ami.emit('connected');
      ami.emit('connected');
      await new Promise((r) => setTimeout(r, 20));
      expect(ami.asked).toHaveLength(1);
      ami.answerNext();
      await vi.waitFor(() => expect(ami.asked).toEqual(['CoreShowChannels', 'CoreShowChannels']));
      // Stopping while that one runs: stop waits for it, and starts none after it.
      ami.emit('connected');
      let stopped = false;
      const stopping = side.stop().then(() => {
        stopped = true;
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(stopped).toBe(false);
      ami.answerNext();
      await stopping;
      expect(ami.asked).toHaveLength(2);
    } finally {
      await side.stop().catch(() => undefined);
      await t.close();
    }
  });
});
