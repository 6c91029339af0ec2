/**
 * Samples a process's CPU and RSS from /proc/<pid>/stat and /proc/<pid>/status once a second (Linux
 * only). CPU is utime + stime in clock ticks; the kernel's USER_HZ is 100 on every mainstream Linux build.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** Epoch ms (the same clock as the subscriber's delivery times). */
  readonly atMs: number;
  /** CPU use since the previous sample, in % of one core. */
  readonly cpuPercent: number;
  readonly rssMb: number;
}

export interface ProcSummary {
  readonly samples: readonly ProcSample[];
  /** Mean CPU % of one core over samples taken in [fromMs, toMs] (epoch ms). */
  cpuPercent(fromMs?: number, toMs?: number): number;
  rssMaxMb(fromMs?: number, toMs?: number): number;
  rssLastMb(): number;
}

function readTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function readRssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

export interface ProcSampler {
  stop(): ProcSummary;
}

export function sampleProcess(pid: number, intervalMs = 1000): ProcSampler {
  const samples: ProcSample[] = [];
  let lastTicks = readTicks(pid) ?? 0;
  let lastAt = Date.now();
  const timer = setInterval(() => {
    const ticks = readTicks(pid);
    const rss = readRssMb(pid);
    const now = Date.now();
    if (ticks === undefined || rss === undefined) return;
    const cpuPercent = ((ticks - lastTicks) / TICKS_PER_SECOND / ((now - lastAt) / 1000)) * 100;
    samples.push({ atMs: now, cpuPercent, rssMb: rss });
    lastTicks = ticks;
    lastAt = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const within = (from = 0, to = Number.POSITIVE_INFINITY) =>
        samples.filter((s) => s.atMs >= from && s.atMs <= to);
      return {
        samples,
        cpuPercent(from, to) {
          const picked = within(from, to);
          return picked.length === 0
            ? Number.NaN
            : picked.reduce((a, s) => a + s.cpuPercent, 0) / picked.length;
        },
        rssMaxMb(from, to) {
          const picked = within(from, to);
          return picked.length === 0 ? Number.NaN : Math.max(...picked.map((s) => s.rssMb));
        },
        rssLastMb() {
          return samples.at(-1)?.rssMb ?? Number.NaN;
        },
      };
    },
  };
}
