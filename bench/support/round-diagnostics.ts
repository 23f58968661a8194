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

export interface Processes {
  readonly doubles: number;
  readonly backends: readonly number[];
}

/** CPU ms used so far by this process, its doubles and the PostgreSQL backends. */
interface CpuSnapshot {
  readonly at: number;
  readonly own: number;
  readonly doubles: number;
  readonly backends: number;
}

function snapshot(others: Processes): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    own: (own.user + own.system) / 1000,
    doubles: processCpuMs(others.doubles),
    backends: others.backends.reduce((sum, pid) => sum + processCpuMs(pid), 0),
  };
}

/** CPU ms per second each part uses with no load (timers, pollers): subtracted from a round's total. */
export type IdleCpu = Omit<CpuSnapshot, 'at'>;

export async function measureIdle(others: Processes, ms: number): Promise<IdleCpu> {
  const a = snapshot(others);
  await new Promise((r) => setTimeout(r, ms));
  const b = snapshot(others);
  const perS = (x: number, y: number) => ((y - x) * 1000) / (b.at - a.at);
  return { own: perS(a.own, b.own), doubles: perS(a.doubles, b.doubles), backends: perS(a.backends, b.backends) };
}

export interface RoundDiagnostics {
  /** One line: loop delay p99/max, GC pauses, CPU ms per click of each process, load average. */
  finish(clicks: number): string;
  /**
   * Once the round's calls have ended and their CRM writes are done: CPU ms per click of each
   * process from the round's start, less what they use idle over as long.
   */
  settled(clicks: number, idle: IdleCpu): string;
}

/** Starts measuring a round; `others` are the doubles' pid and the PostgreSQL backends' pids. */
export function startRound(others: Processes): RoundDiagnostics {
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
  const start = snapshot(others);
  const perClick = (ms: number, clicks: number) => (ms / clicks).toFixed(2);
  return {
    finish(clicks) {
      loop.disable();
      gc.disconnect();
      const now = snapshot(others);
      const ms = (ns: number) => (ns / 1e6).toFixed(0);
      return `loop delay p99 ${ms(loop.percentile(99))} / max ${ms(loop.max)} ms, GC ${gcMs.toFixed(0)} ms (max pause ${gcMax.toFixed(0)}); `
        + `CPU ms per click until the last Originate: connector ${perClick(now.own - start.own, clicks)}, doubles ${perClick(now.doubles - start.doubles, clicks)}`
        + `${others.backends.length > 0 ? `, PostgreSQL ${perClick(now.backends - start.backends, clicks)}` : ''}; load ${os.loadavg()[0]?.toFixed(1)}`;
    },
    settled(clicks, idle) {
      const now = snapshot(others);
      const seconds = (now.at - start.at) / 1000;
      const used = (part: keyof IdleCpu) => perClick(Math.max(0, now[part] - start[part] - idle[part] * seconds), clicks);
      return `CPU ms per click through the calls' ends and CRM writes (${seconds.toFixed(1)} s, idle use subtracted): `
        + `connector ${used('own')}, doubles ${used('doubles')}${others.backends.length > 0 ? `, PostgreSQL ${used('backends')}` : ''}`;
    },
  };
}
