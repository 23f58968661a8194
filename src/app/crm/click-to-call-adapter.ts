import type { ClickToCallInput, ClickToCallResult as PbxClickToCallResult } from '../calls/click-to-call.ts';
import type { ClickToCallPort, ClickToCallRequest, ClickToCallResult } from './ports.ts';

/**
 * The ClickToCallPort over the PBX side's use case: `(input) => originateClickToCall(deps, input)`.
 * A user without a known extension is passed on as '' and refused there (INVALID_REQUEST).
 */
export function clickToCallPort(
  originate: (input: ClickToCallInput) => Promise<PbxClickToCallResult>,
  placed: (crmCallId: string) => Promise<boolean>,
): ClickToCallPort {
  return {
    placed,
    async originate(request: ClickToCallRequest): Promise<ClickToCallResult> {
      const r = await originate({
        crmCallId: request.crmCallId,
        userId: request.userId,
        extension: request.extension ?? '',
        number: request.number,
        numberIsInternational: request.numberIsInternational,
        origin: request.origin,
        line: request.line,
        knownNew: request.knownNew === true,
      });
      if (r.ok) return { status: r.duplicate ? 'duplicate' : 'originated' };
      return { status: 'refused', code: r.code, message: r.message };
    },
  };
}
