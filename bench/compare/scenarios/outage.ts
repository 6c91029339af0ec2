/**
 * S5: store-and-forward through a broker outage. 1 device × 125 float32 tags at 100 ms = 1,250
 * messages/s; after a live phase the broker is stopped (gracefully, with persistence, so the subscriber's
 * session survives) for the outage, then started again on the same port. Measured per side:
 * - lost: seq gaps over the whole run (each side numbers its messages; see measuring-subscriber.ts);
 * - backlog: messages read while the broker was down and delivered after it came back;
 * - drain: how long the backlog took to arrive and at what rate;
 * - live latency while draining: p99 poll→delivery of messages read while the backlog was draining,
 *   whenever they arrived (fresh data should not wait behind the whole backlog).
 */
import { runSide, sleep } from '../run-side.ts';
import { log, type MetricDef, type Scenario } from '../scenario.ts';
import type { SideName } from '../sides/side.ts';
import { fmt, percentile, SampleBuffer } from '../stats.ts';
import type { Series } from '../svg.ts';
import { perTagWorkload } from './throughput.ts';

const LIVE_BEFORE_MS = 5000;
const QUIET_MS = 3000;

const metrics: MetricDef[] = [
  { key: 'lost', label: 'messages lost', unit: 'msg', higherIsBetter: false, target: { op: '<=', value: 0 } },
  { key: 'duplicates', label: 'duplicates', unit: 'msg', higherIsBetter: false },
  { key: 'backlog', label: 'backlog delivered after the outage', unit: 'msg', higherIsBetter: true },
  { key: 'drainSeconds', label: 'drain time', unit: 's', higherIsBetter: false },
  { key: 'drainRate', label: 'drain rate', unit: 'msg/s', higherIsBetter: true },
  { key: 'liveP99', label: 'live p99 poll→delivery while draining', unit: 'ms', higherIsBetter: false },
  { key: 'rssMax', label: 'RSS max', unit: 'MB', higherIsBetter: false },
];

export const S5: Scenario = {
  name: 'S5',
  title: 'S5 outage: 1,250 msg/s, broker down, then drain',
  metrics,
  defaultRuns: 1,
  async run(ctx) {
    const outageMs = (ctx.options.outageSeconds ?? (ctx.options.quick ? 20 : 600)) * 1000;
    const workload = perTagWorkload(1, 125, 100);
    const out: Partial<Record<SideName, Record<string, number>>> = {};
    const series: Series[] = [];
    const details: Record<string, unknown> = {};
    for (const side of ctx.options.sides) {
      let downAt = 0;
      let backAt = 0;
      const run = await runSide(ctx, side, workload, {
        warmupMs: 0,
        durationMs: 0,
        label: 'S5',
        during: async () => {
          await sleep(LIVE_BEFORE_MS);
          downAt = Date.now();
          await ctx.broker.stop();
          log(`S5 ${side}: broker down for ${outageMs / 1000} s`);
          await sleep(outageMs);
          await ctx.broker.restart();
          backAt = Date.now();
          log(`S5 ${side}: broker back; waiting for the backlog to drain`);
          const deadline = backAt + Math.max(60_000, 10 * outageMs);
          // Drained: live data (read after the broker came back) arrives again, and no backlog message
          // has arrived for QUIET_MS. Without the first condition a side still in its reconnect backoff
          // would look drained (and lossless) merely because nothing arrives at all.
          while (Date.now() < deadline) {
            await sleep(1000);
            const { lastBacklog, live } = progress(ctx.subscriber.deliveries(), backAt);
            if (live > 0 && Date.now() - Math.max(lastBacklog, backAt) >= QUIET_MS) break;
          }
          return { from: backAt, to: Date.now() };
        },
      });
      const deliveries = ctx.subscriber.deliveries();
      let backlog = 0;
      let drainEnd = backAt;
      for (let i = 0; i < deliveries.at.length; i++) {
        const readAt = deliveries.at[i]! - deliveries.pollLatency[i]!;
        if (readAt >= downAt && readAt < backAt && deliveries.at[i]! >= backAt) {
          backlog++;
          drainEnd = Math.max(drainEnd, deliveries.at[i]!);
        }
      }
      const live = new SampleBuffer();
      for (let i = 0; i < deliveries.at.length; i++) {
        const at = deliveries.at[i]!;
        const readAt = at - deliveries.pollLatency[i]!;
        if (readAt >= backAt && readAt <= drainEnd) live.push(deliveries.pollLatency[i]!);
      }
      const drainSeconds = backlog > 0 ? (drainEnd - backAt) / 1000 : Number.NaN;
      const r = run.result;
      out[side] = {
        lost: r.lost,
        duplicates: r.duplicates,
        backlog,
        drainSeconds,
        drainRate: backlog > 0 && drainSeconds > 0 ? backlog / drainSeconds : Number.NaN,
        liveP99: percentile(live.values(), 99),
        rssMax: run.proc.rssMaxMb(),
      };
      details[side] = { result: r, outageMs, downAt, backAt, drainEnd, metrics: out[side] };
      series.push({ name: side, points: perSecond(deliveries.at, downAt - LIVE_BEFORE_MS) });
      log(
        `S5 ${side}: lost ${r.lost}, duplicates ${r.duplicates}, backlog ${backlog} drained in ${fmt(drainSeconds)} s, live p99 while draining ${fmt(out[side].liveP99!)} ms`,
      );
    }
    return {
      metrics: out,
      details,
      charts: [
        {
          file: 'S5-deliveries.svg',
          chart: {
            title: 'S5: deliveries per second around the outage',
            xLabel: 's since start of the live phase',
            yLabel: 'messages/s',
            series,
          },
        },
      ],
    };
  },
};

/** When the last message read before `backAt` arrived, and how many read after it have arrived. */
function progress(
  d: { at: Float64Array; pollLatency: Float64Array },
  backAt: number,
): { lastBacklog: number; live: number } {
  let lastBacklog = 0;
  let live = 0;
  for (let i = 0; i < d.at.length; i++) {
    if (d.at[i]! - d.pollLatency[i]! < backAt) lastBacklog = Math.max(lastBacklog, d.at[i]!);
    else live++;
  }
  return { lastBacklog, live };
}

function perSecond(at: Float64Array, from: number): [number, number][] {
  const counts = new Map<number, number>();
  for (const t of at) {
    const s = Math.floor((t - from) / 1000);
    if (s >= 0) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const last = Math.max(0, ...counts.keys());
  return Array.from({ length: last + 1 }, (_, s) => [s, counts.get(s) ?? 0]);
}
