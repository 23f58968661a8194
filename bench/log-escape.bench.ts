// What escaping control characters costs the JSON logs: the service logger with its per-line
// hook against the same logger without it, on a typical per-call line and on one carrying escapes.
import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from '../src/adapters/logging/logger.ts';

const LINES = Number(process.env.LOG_BENCH_LINES ?? 50_000);
const sink = (): Writable => new Writable({ write(_c, _e, cb) { cb(); } });

function perLine(logger: pino.Logger, number: string): number {
  const child = logger.child({ callId: 'c2c-0123456789abcdef', crmCallId: 'externalCall.0123456789abcdef.1795440000', user: '12' });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) child.info({ trunk: 'gw-mts', attempt: i % 5, number }, 'route: dial');
  return Number(process.hrtime.bigint() - t0) / LINES;
}

// Alternating rounds, best of each: on a busy machine the minimum is the figure that repeats.
const ROUNDS = 5;
for (const [label, number] of [['clean number', '+79261234567'], ['number with ESC/C1', '+7926\u001b[2J\u009b1234567']] as const) {
  let baseline = Infinity;
  let escaped = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    baseline = Math.min(baseline, perLine(pino({ ...loggerOptions('info'), hooks: {} }, sink()), number));
    escaped = Math.min(escaped, perLine(pino(loggerOptions('info'), sink()), number));
  }
  console.log(`${label.padEnd(20)} without the hook ${baseline.toFixed(0)} ns/line   with it ${escaped.toFixed(0)} ns/line   (+${(escaped - baseline).toFixed(0)} ns)`);
}
