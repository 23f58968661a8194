// What a bench round cost besides its latencies: the event loop's delays and the GC pauses of the
// process measured, and the CPU time of that process, of its doubles' process and of the
// PostgreSQL backends serving it — so a tail can be told apart from a machine that was full.
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** CPU ms (user + system) a process has used so far, from /proc (0 where there is none). */
function processCpuMs(pid: number): number {
  try {
    const fields = (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

export interface RoundDiagnostics {
  /** One line: loop delay p99/max, GC pauses, CPU ms per click of each process, load average. */
  finish(clicks: number): string;
}

/** Starts measuring a round; `others` are the doubles' pid and the PostgreSQL backends' pids. */
export function startRound(others: { readonly doubles: number; readonly backends: readonly number[] }): RoundDiagnostics {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gcMs = 0;
  let gcMax = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcMax = Math.max(gcMax, e.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const cpu = process.cpuUsage();
  const doubles = processCpuMs(others.doubles);
  const backends = others.backends.map(processCpuMs);
  return {
    finish(clicks) {
      loop.disable();
      gc.disconnect();
      const own = process.cpuUsage(cpu);
      const perClick = (ms: number) => (ms / clicks).toFixed(2);
      const backendMs = others.backends.reduce((sum, pid, i) => sum + processCpuMs(pid) - (backends[i] ?? 0), 0);
      const ms = (ns: number) => (ns / 1e6).toFixed(0);
      return `loop delay p99 ${ms(loop.percentile(99))} / max ${ms(loop.max)} ms, GC ${gcMs.toFixed(0)} ms (max pause ${gcMax.toFixed(0)}); `
        + `CPU ms per click: connector ${perClick((own.user + own.system) / 1000)}, doubles ${perClick(processCpuMs(others.doubles) - doubles)}`
        + `${others.backends.length > 0 ? `, PostgreSQL ${perClick(backendMs)}` : ''}; load ${os.loadavg()[0]?.toFixed(1)}`;
    },
  };
}
