/**
 * Store-and-forward benchmark (issue 3): messages/s through the durable queue to a local Mosquitto at
 * QoS 1, plain and TLS, 1 and 100 tags per message; and the drain of a 500 000-message backlog with the
 * latency of live messages meanwhile. Prints a Markdown section for bench/README.md.
 *
 *   npm run bench:queue                       (or: npx node bench/store-and-forward.ts)
 *   npx node bench/store-and-forward.ts --runs 5 --backlog 500000 --only throughput|drain \
 *     --transport plain|tls --tags 1|100 --read-ahead   (the last: publisher reads in pages, an experiment)
 *
 * Not a test: numbers depend on the machine. Everything runs in this one process except Mosquitto,
 * like the gateway (producers, queue and publisher share one event loop).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCerts } from '../test/helpers/certs.ts';
import { type DrainResult, drain, throughput } from './store-and-forward/scenarios.ts';
import { formatMs, formatRate, machine, summarize } from './store-and-forward/stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    backlog: { type: 'string', default: '500000' },
    only: { type: 'string' },
    transport: { type: 'string' },
    tags: { type: 'string' },
    'read-ahead': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const readAhead = values['read-ahead'];
const backlog = Number(values.backlog);
const certDir = await mkdtemp(join(tmpdir(), 'fieldbridge-sf-bench-certs-'));
const certs = await makeCerts(certDir);
const transports = [
  { name: 'plain', certs: undefined },
  { name: 'TLS', certs },
].filter((t) => values.transport === undefined || t.name.toLowerCase() === values.transport.toLowerCase());
const shapes = [
  { tagsPerMessage: 1, total: 200_000 },
  { tagsPerMessage: 100, total: 20_000 },
].filter((s) => values.tags === undefined || s.tagsPerMessage === Number(values.tags));

const out: string[] = [
  `Machine: ${machine()}. ${runs} runs each; median (min–max).${readAhead ? ' Publisher reading through the read-ahead experiment.' : ''}`,
  '',
];
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

try {
  if (values.only !== 'drain') {
    out.push(
      '| Transport | Tags/message | Payload | Messages | Messages/s | Tag values/s |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const transport of transports) {
      for (const shape of shapes) {
        const rates: number[] = [];
        let payloadBytes = 0;
        for (let run = 0; run < runs; run++) {
          const result = await throughput({ certs: transport.certs, readAhead, ...shape });
          rates.push(result.messagesPerSecond);
          payloadBytes = result.payloadBytes;
          progress(
            `${transport.name} ${shape.tagsPerMessage} tag(s): ${Math.round(result.messagesPerSecond)}/s`,
          );
        }
        const s = summarize(rates);
        const tagRate = summarize(rates.map((r) => r * shape.tagsPerMessage));
        out.push(
          `| ${transport.name} | ${shape.tagsPerMessage} | ${payloadBytes} B | ${shape.total.toLocaleString('en-US')} | ${formatRate(s)} | ${formatRate(tagRate)} |`,
        );
      }
    }
    out.push('');
  }
  if (values.only !== 'throughput') {
    out.push(
      `| Transport | Backlog | Fill (append, broker down) | Drain | Drain time | Live messages | Live latency p50 / p99 / max |`,
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const transport of transports) {
      const results: DrainResult[] = [];
      for (let run = 0; run < runs; run++) {
        const r = await drain({ certs: transport.certs, backlog, readAhead });
        results.push(r);
        progress(
          `${transport.name} drain ${Math.round(r.drainPerSecond)}/s in ${Math.round(r.drainMs)} ms; live p50 ${Math.round(r.live.p50)} ms max ${Math.round(r.live.max)} ms (${r.live.count})`,
        );
      }
      const ms = (values: number[]): string => formatMs(summarize(values));
      out.push(
        `| ${transport.name} | ${backlog.toLocaleString('en-US')} | ${formatRate(summarize(results.map((r) => r.fillPerSecond)))} | ${formatRate(summarize(results.map((r) => r.drainPerSecond)))} | ${ms(results.map((r) => r.drainMs))} | ${summarize(results.map((r) => r.live.count)).median} | ${Math.round(summarize(results.map((r) => r.live.p50)).median)} / ${Math.round(summarize(results.map((r) => r.live.p99)).median)} / ${Math.round(summarize(results.map((r) => r.live.max)).median)} ms |`,
      );
    }
    out.push('');
  }
  console.log(out.join('\n'));
} finally {
  await rm(certDir, { recursive: true, force: true });
}
