import type { ClickPlanning, ClickToCallInput, ClickToCallResult as PbxClickToCallResult, PlannedClick } from '../calls/click-to-call.ts';
import type { ClickPlan, ClickToCallPort, ClickToCallRequest, ClickToCallResult } from './ports.ts';

/** What the PBX side's click-to-call use case offers (CallsSide has it). */
export interface PbxClickToCall {
  clickToCall(input: ClickToCallInput): Promise<PbxClickToCallResult>;
  planClick(input: ClickToCallInput): ClickPlanning;
  dialClick(planned: PlannedClick): Promise<PbxClickToCallResult>;
  placed(crmCallId: string): Promise<boolean>;
}

/**
 * The ClickToCallPort over the PBX side's use case. A user without a known extension is passed on
 * as '' and refused there (INVALID_REQUEST).
 */
export function clickToCallPort(pbx: PbxClickToCall): ClickToCallPort {
  return {
    placed: (crmCallId) => pbx.placed(crmCallId),
    async originate(request) {
      return resultOf(await pbx.clickToCall(inputOf(request)));
    },
    plan(request): ClickPlan {
      const planning = pbx.planClick(inputOf(request));
      if (!planning.ok) return { ok: false, code: planning.code, message: planning.message };
      return { ok: true, call: planning.planned.call, planned: planning.planned };
    },
    async dial(plan) {
      return resultOf(await pbx.dialClick(plan.planned as PlannedClick));
    },
  };
}

function inputOf(request: ClickToCallRequest): ClickToCallInput {
  return {
    crmCallId: request.crmCallId,
    userId: request.userId,
    extension: request.extension ?? '',
    number: request.number,
    numberIsInternational: request.numberIsInternational,
    origin: request.origin,
    line: request.line,
  };
}

function resultOf(r: PbxClickToCallResult): ClickToCallResult {
  if (r.ok) return { status: r.duplicate ? 'duplicate' : 'originated' };
  return { status: 'refused', code: r.code, message: r.message };
}
