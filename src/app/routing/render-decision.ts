import type { RouteDecision } from '../../core/routing/types.ts';

/** The JSON shape `route explain --json` prints (and the web console shows). */
export function decisionToJson(decision: RouteDecision): Record<string, unknown> {
  return {
    number: decision.number,
    carrier: decision.carrier,
    user: decision.user,
    extension: decision.extension,
    departments: decision.departments,
    manualLine: decision.manualLine,
    rotateAfterManualLine: decision.rotateAfterManualLine,
    attempts: decision.attempts.map((a) => ({
      trunk: a.trunk,
      tier: a.tier,
      dial: a.dial,
      callerId: a.callerId,
      perMinute: a.perMinute,
      ringTimeout: a.ringTimeout,
      reason: a.reason ?? null,
      callerIdReason: a.callerIdReason ?? null,
    })),
    refused: decision.refused,
    trace: decision.trace ?? [],
  };
}

/** The readable form: the trace, then the attempt table (or the refusal). */
export function decisionToText(decision: RouteDecision): string {
  const lines: string[] = [];
  for (const step of decision.trace ?? []) lines.push(`  ${step}`);
  lines.push('');
  if (decision.refused) {
    lines.push(`REFUSED ${decision.refused.code}: ${decision.refused.message}`);
    return lines.join('\n');
  }
  lines.push(`Attempts for ${decision.number?.e164 ?? '?'} (carrier ${decision.carrier.key ?? 'unknown'}, ${decision.carrier.source}):`);
  decision.attempts.forEach((a, i) => {
    lines.push(`  ${i + 1}. ${a.trunk} [${a.tier}] ${a.dial}  caller ID ${a.callerId ?? '(provider default)'}  ${a.perMinute}/min  ring ${a.ringTimeout}s`);
    if (a.reason) lines.push(`     why: ${a.reason}`);
    if (a.callerIdReason) lines.push(`     caller ID: ${a.callerIdReason}`);
  });
  if (decision.manualLine !== null && !decision.rotateAfterManualLine) {
    lines.push(`  manual line ${decision.manualLine}: not rotated away from after a technical failure`);
  }
  return lines.join('\n');
}
