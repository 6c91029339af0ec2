/**
 * S4: memory under a steady load of 10 devices × 1,000 float32 tags at 1 s (10,000 messages/s, one per
 * tag), RSS sampled every second. "Flat" is judged by the slope of a least-squares line through the RSS
 * of the second half of the run (the first half includes warm-up and heap growth to its working size).
 */
import { runSide } from '../run-side.ts';
import { log, type MetricDef, type Scenario } from '../scenario.ts';
import type { SideName } from '../sides/side.ts';
import { fmt } from '../stats.ts';
import type { Series } from '../svg.ts';
import { perTagWorkload } from './throughput.ts';

/** MB per minute of a least-squares line through (minutes, MB). */
function slopePerMinute(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

const metrics: MetricDef[] = [
  {
    key: 'rssEnd',
    label: 'RSS at the end',
    unit: 'MB',
    higherIsBetter: false,
    target: { op: '<=', value: 80 },
  },
  { key: 'rssMax', label: 'RSS max', unit: 'MB', higherIsBetter: false },
  { key: 'slope', label: 'RSS slope over the 2nd half', unit: 'MB/min', higherIsBetter: false },
  { key: 'cpu', label: 'CPU', unit: '% of a core', higherIsBetter: false },
  { key: 'delivered', label: 'delivered', unit: 'msg/s', higherIsBetter: true },
  { key: 'pollP99', label: 'p99 poll→delivery', unit: 'ms', higherIsBetter: false },
];

export const S4: Scenario = {
  name: 'S4',
  title: 'S4 memory: 10 devices × 1,000 float32 tags at 1 s, one message per tag',
  metrics,
  defaultRuns: 1,
  async run(ctx) {
    const durationMs = (ctx.options.durationSeconds ?? (ctx.options.quick ? 60 : 600)) * 1000;
    const workload = perTagWorkload(10, 1000, 1000);
    const out: Partial<Record<SideName, Record<string, number>>> = {};
    const series: Series[] = [];
    const details: Record<string, unknown> = {};
    for (const side of ctx.options.sides) {
      const run = await runSide(ctx, side, workload, { warmupMs: 0, durationMs, label: 'S4' });
      const start = run.proc.samples[0]?.atMs ?? 0;
      const points = run.proc.samples.map((s) => [(s.atMs - start) / 60_000, s.rssMb] as const);
      const secondHalf = points.slice(Math.floor(points.length / 2));
      const r = run.result;
      out[side] = {
        rssEnd: points.at(-1)?.[1] ?? Number.NaN,
        rssMax: Math.max(...points.map(([, y]) => y)),
        slope: slopePerMinute(secondHalf),
        cpu: r.cpuPercent,
        delivered: r.deliveredPerSecond,
        pollP99: r.pollLatency.p99,
      };
      details[side] = { result: r, rss: run.proc.samples };
      series.push({ name: side, points: points.map(([x, y]) => [x * 60, y] as const) });
      log(
        `S4 ${side}: RSS end ${fmt(out[side].rssEnd!)} MB, max ${fmt(out[side].rssMax!)} MB, slope ${fmt(out[side].slope!)} MB/min, ${fmt(r.deliveredPerSecond)} msg/s`,
      );
    }
    return {
      metrics: out,
      details,
      charts: [
        {
          file: 'S4-rss.svg',
          chart: {
            title: 'S4: RSS over time (10 × 1,000 tags at 1 s)',
            xLabel: 's',
            yLabel: 'RSS (MB)',
            series,
          },
        },
      ],
    };
  },
};
