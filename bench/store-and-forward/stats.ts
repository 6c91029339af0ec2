/** Medians and ranges over benchmark runs, and the machine description that goes with the numbers. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** "41.2k (38.0k–44.9k)" */
export function formatRate(s: Summary): string {
  return `${k(s.median)} (${k(s.min)}–${k(s.max)})`;
}

export function formatMs(s: Summary): string {
  return `${Math.round(s.median)} ms (${Math.round(s.min)}–${Math.round(s.max)})`;
}

function k(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`;
}

export function machine(): string {
  // The model name from /proc/cpuinfo (os.cpus() can be empty in some containers).
  let model = cpus()[0]?.model;
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // Not Linux: keep os.cpus().
  }
  const gib = (totalmem() / 1024 ** 3).toFixed(1);
  return `${availableParallelism()} CPUs (nproc), ${model ?? 'unknown CPU'}, ${gib} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}
