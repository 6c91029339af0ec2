/**
 * S6: cold start, from spawning the process to the first message the subscriber receives, with 10
 * devices × 1,000 float32 tags (10k tags) configured. Node-RED's modbus-read polls first one interval
 * after connecting (setInterval), so its figure includes up to one 1 s poll interval by design.
 */
import { runSide } from '../run-side.ts';
import { log, type MetricDef, type Scenario } from '../scenario.ts';
import type { SideName } from '../sides/side.ts';
import { fmt } from '../stats.ts';
import { perTagWorkload } from './throughput.ts';

const metrics: MetricDef[] = [
  {
    key: 'firstDelivery',
    label: 'process start → first delivered message',
    unit: 's',
    higherIsBetter: false,
    target: { op: '<=', value: 1.0 },
  },
  { key: 'rss', label: 'RSS a second after start', unit: 'MB', higherIsBetter: false },
];

export const S6: Scenario = {
  name: 'S6',
  title: 'S6 cold start with 10k tags (10 devices × 1,000 float32 at 1 s)',
  metrics,
  defaultRuns: 3,
  async run(ctx) {
    const workload = perTagWorkload(10, 1000, 1000);
    const out: Partial<Record<SideName, Record<string, number>>> = {};
    const details: Record<string, unknown> = {};
    for (const side of ctx.options.sides) {
      const run = await runSide(ctx, side, workload, { warmupMs: 0, durationMs: 1500, label: 'S6' });
      const r = run.result;
      out[side] = { firstDelivery: r.firstDeliveryMs / 1000, rss: run.proc.samples[0]?.rssMb ?? Number.NaN };
      details[side] = r;
      log(`S6 ${side}: first message ${fmt(r.firstDeliveryMs)} ms after spawn`);
    }
    return { metrics: out, details, charts: [] };
  },
};
