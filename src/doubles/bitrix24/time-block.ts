/** The `time` block of every Bitrix24 REST answer (the SDK refuses answers without `operating`). */
export interface TimeBlock {
  readonly start: number;
  readonly finish: number;
  readonly duration: number;
  readonly processing: number;
  readonly date_start: string;
  readonly date_finish: string;
  readonly operating_reset_at: number;
  readonly operating: number;
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

export function timeBlock(startMs: number, finishMs: number): TimeBlock {
  const start = startMs / 1000;
  const finish = Math.max(finishMs, startMs) / 1000;
  return {
    start,
    finish,
    duration: finish - start,
    processing: Math.floor(finish - start),
    date_start: isoSeconds(startMs),
    date_finish: isoSeconds(finishMs),
    operating_reset_at: Math.floor(start) + 600,
    operating: 0,
  };
}
