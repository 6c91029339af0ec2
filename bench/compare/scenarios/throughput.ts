/**
 * S1 (block mode) and S2 (per-tag float32): ramp the number of devices up until a side no longer keeps
 * up (under 95% of the offered messages arrive in the window). A step is sustained when it keeps up and
 * its p99 poll→delivery latency stays under 100 ms; the capacity is the highest sustained rate, and
 * "most delivered" the highest rate of any step whatever its latency.
 */
import { runSide, type SideRun, type SideRunResult } from '../run-side.ts';
import { log, type MetricDef, type Scenario, type ScenarioRunOutput } from '../scenario.ts';
import type { SideName } from '../sides/side.ts';
import { fmt } from '../stats.ts';
import { cdf } from '../svg.ts';
import { unitsPerMessage, type Workload } from '../workload.ts';

const P99_LIMIT_MS = 100;
const DELIVERED_FRACTION = 0.95;
const WARMUP_MS = 3000;

interface RampSpec {
  readonly name: string;
  readonly title: string;
  readonly unit: string;
  readonly target: number;
  readonly steps: readonly number[];
  readonly quickSteps: readonly number[];
  workload(devices: number): Workload;
}

export function sustained(result: SideRunResult): boolean {
  return (
    result.deliveredPerSecond >= DELIVERED_FRACTION * result.offeredPerSecond &&
    result.pollLatency.p99 < P99_LIMIT_MS
  );
}

function rampScenario(spec: RampSpec): Scenario {
  const metrics: MetricDef[] = [
    {
      key: 'capacity',
      label: `highest sustained rate (p99 < ${P99_LIMIT_MS} ms)`,
      unit: `${spec.unit}/s`,
      higherIsBetter: true,
      target: { op: '>=', value: spec.target },
    },
    { key: 'cpu', label: 'CPU at that rate', unit: '% of a core', higherIsBetter: false },
    { key: 'pollP99', label: 'p99 poll→delivery at that rate', unit: 'ms', higherIsBetter: false },
    { key: 'changeP99', label: 'p99 change→delivery at that rate', unit: 'ms', higherIsBetter: false },
    { key: 'rss', label: 'RSS at that rate', unit: 'MB', higherIsBetter: false },
    {
      key: 'maxDelivered',
      label: 'most delivered in any step',
      unit: `${spec.unit}/s`,
      higherIsBetter: true,
    },
  ];
  return {
    name: spec.name,
    title: spec.title,
    metrics,
    defaultRuns: 1,
    async run(ctx) {
      const quick = ctx.options.quick;
      const durationMs = (ctx.options.durationSeconds ?? (quick ? 5 : 10)) * 1000;
      const max = ctx.options.maxDevices ?? Number.POSITIVE_INFINITY;
      const steps = (quick ? spec.quickSteps : spec.steps).filter(
        (d) => d <= max && d >= (ctx.options.minDevices ?? 0),
      );
      const bySide: Partial<Record<SideName, SideRunResult[]>> = {};
      const best: Partial<Record<SideName, SideRun>> = {};
      const out: ScenarioRunOutput['metrics'] = {};
      for (const side of ctx.options.sides) {
        const results: SideRunResult[] = [];
        for (const devices of steps) {
          const workload = spec.workload(devices);
          const run = await runSide(ctx, side, workload, {
            warmupMs: WARMUP_MS,
            durationMs,
            label: `${spec.name}-${devices}dev`,
          });
          const r = run.result;
          results.push(r);
          const ok = sustained(r);
          const keepsUp = r.deliveredPerSecond >= DELIVERED_FRACTION * r.offeredPerSecond;
          log(
            `${spec.name} ${side} ${devices} devices: ${fmt(r.unitsPerSecond)} ${spec.unit}/s of ${fmt(r.offeredPerSecond * unitsPerMessage(workload))} offered, poll→delivery p50 ${fmt(r.pollLatency.p50)} p99 ${fmt(r.pollLatency.p99)} ms, CPU ${fmt(r.cpuPercent)}%, RSS ${fmt(r.rssMaxMb)} MB${ok ? '' : keepsUp ? '  → p99 over the limit' : '  → not keeping up'}`,
          );
          if (ok) best[side] = run;
          // The ramp goes on while the side still delivers the offered rate, even with its p99 over the
          // limit, so the plot shows where throughput (not only latency) gives out.
          if (!keepsUp) break;
        }
        bySide[side] = results;
        const top = best[side]?.result;
        out[side] = {
          capacity: top?.unitsPerSecond ?? 0,
          cpu: top?.cpuPercent ?? Number.NaN,
          pollP99: top?.pollLatency.p99 ?? Number.NaN,
          changeP99: top?.changeLatency.p99 ?? Number.NaN,
          rss: top?.rssMaxMb ?? Number.NaN,
          maxDelivered: Math.max(0, ...results.map((r) => r.unitsPerSecond)),
        };
      }
      const sides = Object.keys(bySide) as SideName[];
      return {
        metrics: out,
        details: { steps: bySide, rule: { p99LimitMs: P99_LIMIT_MS, deliveredFraction: DELIVERED_FRACTION } },
        charts: [
          {
            file: `${spec.name}-throughput.svg`,
            chart: {
              title: `${spec.name}: delivered ${spec.unit}/s vs devices`,
              xLabel: 'simulated devices',
              yLabel: `${spec.unit}/s delivered`,
              series: [
                ...sides.map((side) => ({
                  name: side,
                  points: bySide[side]!.map((r) => [r.workload.devices, r.unitsPerSecond] as const),
                })),
                {
                  name: 'offered',
                  dashed: true,
                  points: longest(bySide).map(
                    (r) => [r.workload.devices, r.offeredPerSecond * unitsPerMessage(r.workload)] as const,
                  ),
                },
              ],
            },
          },
          {
            file: `${spec.name}-latency.svg`,
            chart: {
              title: `${spec.name}: latency at each side's highest sustained step`,
              xLabel: 'ms (log scale)',
              yLabel: '% of messages delivered within',
              logX: true,
              series: sides.flatMap((side) => {
                const run = best[side];
                if (run === undefined) return [];
                const d = run.result.workload.devices;
                return [
                  { name: `${side} poll→delivery (${d} dev)`, points: cdf(run.window.pollLatencyMs) },
                  {
                    name: `${side} change→delivery`,
                    dashed: true,
                    points: cdf(run.window.changeLatencyMs),
                  },
                ];
              }),
            },
          },
        ],
      };
    },
  };
}

export function blockWorkload(devices: number, pollIntervalMs = 100, blocksPerDevice = 10): Workload {
  return { mode: 'block', devices, pollIntervalMs, blocksPerDevice, tagsPerDevice: 0 };
}

export function perTagWorkload(devices: number, tagsPerDevice: number, pollIntervalMs: number): Workload {
  return { mode: 'per-tag', devices, pollIntervalMs, blocksPerDevice: 0, tagsPerDevice };
}

/** S1: devices × 1,250 registers at 100 ms = 12,500 registers/s per device. */
export const S1: Scenario = rampScenario({
  name: 'S1',
  title: 'S1 block mode: devices × 1,250 registers at 100 ms, one message per 125 registers',
  unit: 'registers',
  target: 500_000,
  steps: [1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 64],
  quickSteps: [1, 4, 8, 16, 24, 32, 40],
  workload: (devices) => blockWorkload(devices),
});

/** S2: devices × 500 float32 tags at 100 ms = 5,000 messages/s per device. */
export const S2: Scenario = rampScenario({
  name: 'S2',
  title: 'S2 per-tag: devices × 500 float32 tags at 100 ms, one message per tag',
  unit: 'tags',
  target: 40_000,
  steps: [1, 2, 4, 6, 8, 10, 12, 16],
  quickSteps: [1, 2, 4, 8, 12, 16],
  workload: (devices) => perTagWorkload(devices, 500, 100),
});

/** The side that ran the most steps (its offered load covers the whole ramp). */
function longest(bySide: Partial<Record<SideName, SideRunResult[]>>): SideRunResult[] {
  return Object.values(bySide).reduce<SideRunResult[]>((a, b) => (b.length > a.length ? b : a), []);
}
