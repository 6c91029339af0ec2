/**
 * S3: latency at 1% and 50% of S1 capacity, the same load for both sides. 100% is the higher of the two
 * sides' S1 capacities in bench/results/S1.json (or --capacity, or the 500k registers/s target when there
 * is no S1 result).
 * A load that is not a whole number of 12,500-register/s devices is made by stretching the poll interval.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, runSide, type SideRunResult } from '../run-side.ts';
import { log, type MetricDef, type Scenario } from '../scenario.ts';
import type { SideName } from '../sides/side.ts';
import { fmt } from '../stats.ts';
import { cdf, type Series } from '../svg.ts';
import { BLOCK_REGISTERS } from '../workload.ts';
import { blockWorkload } from './throughput.ts';

const LOADS = [1, 50] as const;
const DEFAULT_CAPACITY = 500_000;
const REGISTERS_PER_DEVICE_POLL = 10 * BLOCK_REGISTERS;

function s1Capacity(): number | undefined {
  try {
    const s1 = JSON.parse(readFileSync(join(RESULTS_DIR, 'S1.json'), 'utf8')) as {
      table?: { key: string; sides: Record<string, { median: number }> }[];
    };
    const sides = s1.table?.find((r) => r.key === 'capacity')?.sides ?? {};
    const value = Math.max(0, ...Object.values(sides).map((s) => s.median));
    return value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The S1 shape scaled to `registersPerSecond`: below one device's worth, one device with fewer blocks at
 * 100 ms (so the window still holds many samples); above it, whole devices with the interval stretched.
 */
export function workloadFor(registersPerSecond: number) {
  const atHundredMs = (REGISTERS_PER_DEVICE_POLL * 1000) / 100;
  if (registersPerSecond < atHundredMs) {
    const blocks = Math.max(1, Math.round(registersPerSecond / ((BLOCK_REGISTERS * 1000) / 100)));
    return blockWorkload(1, 100, blocks);
  }
  const devices = Math.max(1, Math.round(registersPerSecond / atHundredMs));
  const interval = Math.max(
    10,
    Math.round((devices * REGISTERS_PER_DEVICE_POLL * 1000) / registersPerSecond),
  );
  return blockWorkload(devices, interval);
}

const metrics: MetricDef[] = LOADS.flatMap((load): MetricDef[] => [
  { key: `p50_${load}`, label: `${load}% load: p50 poll→delivery`, unit: 'ms', higherIsBetter: false },
  {
    key: `p99_${load}`,
    label: `${load}% load: p99 poll→delivery`,
    unit: 'ms',
    higherIsBetter: false,
    target: { op: '<=', value: 5 },
  },
  { key: `change99_${load}`, label: `${load}% load: p99 change→delivery`, unit: 'ms', higherIsBetter: false },
  { key: `cpu_${load}`, label: `${load}% load: CPU`, unit: '% of a core', higherIsBetter: false },
]);

export const S3: Scenario = {
  name: 'S3',
  title: 'S3 latency at 1% and 50% of S1 capacity (block mode)',
  metrics,
  defaultRuns: 3,
  async run(ctx) {
    const capacity = ctx.options.capacity ?? s1Capacity() ?? DEFAULT_CAPACITY;
    const durationMs = (ctx.options.durationSeconds ?? (ctx.options.quick ? 10 : 30)) * 1000;
    const out: Partial<Record<SideName, Record<string, number>>> = {};
    const details: Record<string, SideRunResult[]> = {};
    const series: Series[] = [];
    for (const load of LOADS) {
      const workload = workloadFor((capacity * load) / 100);
      details[`${load}%`] = [];
      for (const side of ctx.options.sides) {
        const run = await runSide(ctx, side, workload, {
          warmupMs: 3000,
          durationMs,
          label: `S3-${load}pct`,
        });
        const r = run.result;
        details[`${load}%`]!.push(r);
        log(
          `S3 ${side} ${load}% of ${fmt(capacity)} registers/s (${workload.devices} devices × ${workload.blocksPerDevice} blocks at ${workload.pollIntervalMs} ms): poll→delivery p50 ${fmt(r.pollLatency.p50)} p99 ${fmt(r.pollLatency.p99)} ms, change→delivery p99 ${fmt(r.changeLatency.p99)} ms`,
        );
        const m = out[side] ?? {};
        m[`p50_${load}`] = r.pollLatency.p50;
        m[`p99_${load}`] = r.pollLatency.p99;
        m[`change99_${load}`] = r.changeLatency.p99;
        m[`cpu_${load}`] = r.cpuPercent;
        out[side] = m;
        series.push({
          name: `${side} @ ${load}%`,
          dashed: load === 1,
          points: cdf(run.window.pollLatencyMs),
        });
      }
    }
    return {
      metrics: out,
      details: { capacityRegistersPerSecond: capacity, loads: details },
      charts: [
        {
          file: 'S3-latency.svg',
          chart: {
            title: `S3: poll→delivery latency at 1% and 50% of ${fmt(capacity)} registers/s`,
            xLabel: 'ms (log scale)',
            yLabel: '% of messages delivered within',
            logX: true,
            series,
          },
        },
      ],
    };
  },
};
