/**
 * Where a call stands in its scenario, carried by the dialplan between two requests
 * (`INBOUND_STATE`), so the connector keeps nothing per call: `scenario:step:sub:seed`.
 * `sub` counts inside a step (the member of an ordered group, the IVR try, the extension dialled);
 * `seed` fixes a weighted-random group's order for the whole step.
 */
export interface Position {
  readonly scenario: string;
  readonly step: number;
  readonly sub: number;
  readonly seed: number;
}

/** Scenario ids are restricted (rules schema) so that a position never contains `:`, `|` or `,`. */
export const SCENARIO_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function formatPosition(p: Position): string {
  return `${p.scenario}:${p.step}:${p.sub}:${p.seed}`;
}

/** The position the dialplan sent back; null for an empty one (the call's first request) or garbage. */
export function parsePosition(text: string): Position | null | 'invalid' {
  const t = text.trim();
  if (t === '') return null;
  const m = /^([A-Za-z0-9_.-]{1,64}):(\d{1,3}):(\d{1,3}):(\d{1,10})$/.exec(t);
  if (!m) return 'invalid';
  return { scenario: m[1] ?? '', step: Number(m[2]), sub: Number(m[3]), seed: Number(m[4]) };
}
