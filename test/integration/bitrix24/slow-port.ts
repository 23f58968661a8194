import type { NewCall } from '../../../src/app/calls/ports.ts';
import type { ClickPlan, ClickToCallPort, ClickToCallRequest, ClickToCallResult } from '../../../src/app/crm/ports.ts';

/**
 * A click-to-call port that takes `delayMs` (real time) to answer, like a PBX slow to accept an
 * Originate. `release()` answers everything still waiting at once (so tests need not sit out the delay).
 */
export class SlowClickToCall implements ClickToCallPort {
  readonly started: ClickToCallRequest[] = [];
  readonly completed: ClickToCallRequest[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(private readonly delayMs = 2000) {}

  async placed(crmCallId: string): Promise<boolean> {
    return this.completed.some((r) => r.crmCallId === crmCallId);
  }

  async originate(request: ClickToCallRequest): Promise<ClickToCallResult> {
    this.started.push(request);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.delayMs);
      this.waiting.add(done);
    });
    this.completed.push(request);
    return { status: 'originated' };
  }

  plan(request: ClickToCallRequest): ClickPlan {
    const id = `c2c-${request.crmCallId.slice(-40)}`;
    const call: NewCall = {
      id, crmCallId: request.crmCallId, channelId: `${id}-a`, linkedid: `${id}-a`, origin: request.origin, userId: request.userId,
      extension: request.extension, number: request.number, numberE164: null, line: request.line, state: 'planned',
      plan: null, refusalCode: null, refusalMessage: null, startedAt: Date.now(),
    };
    return { ok: true, call, planned: request };
  }

  dial(plan: Extract<ClickPlan, { readonly ok: true }>): Promise<ClickToCallResult> {
    return this.originate(plan.planned as ClickToCallRequest);
  }

  release(): void {
    for (const done of [...this.waiting]) done();
  }
}
