/**
 * Queue benchmarks behind the numbers in docs/queue.md:
 *   npx node bench/queue-bench.ts [dir]      (default: a temp dir; pass a dir on the target disk)
 *
 * 1. Value encoding: our binary record vs JSON with a base64 payload.
 * 2. Messages/s appended through LevelQueue by N producers, each awaiting its append before the next
 *    (the shape of device runners), for sync off/on and group commit 5 ms / 0 ms. With group commit a
 *    producer gets one append per window, so few single-message producers measure latency, not capacity:
 *    hence several shapes, each with the 5 ms window and with window 0 (the default).
 * 3. A 500 000-message backlog: open scan time, then a drain that reads pages of 1000 and acks in groups
 *    of 100 as the publisher does.
 * 4. The live cursor: append 10, read what is new, ack it; with the tail cache (reads from memory) and
 *    without (a LevelDB iterator per read).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LevelQueue } from '../gateway/queue/level-queue.ts';
import type { OutgoingMessage } from '../gateway/queue/queue.ts';
import { decodeValue, encodeValue } from '../gateway/queue/record-codec.ts';

const log = pino({ level: 'silent' });
const root = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'fieldbridge-queue-bench-')));
let runs = 0;

const sample = (i: number): OutgoingMessage => ({
  topic: `fieldbridge/line-${i % 8}/press-${i % 50}/temperature`,
  payload: Buffer.from(`{"v":${(20 + (i % 1000) / 10).toFixed(1)},"q":"good","t":${1_700_000_000_000 + i}}`),
  qos: 1,
  retain: false,
});

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

function benchEncoding(n: number): void {
  const messages = Array.from({ length: 1000 }, (_, i) => sample(i));
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const m = messages[i % 1000] as OutgoingMessage;
    decodeValue(i, encodeValue(m, 1_700_000_000_000));
  }
  const binaryMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const m = messages[i % 1000] as OutgoingMessage;
    const json = Buffer.from(
      JSON.stringify({
        t: m.topic,
        p: m.payload.toString('base64'),
        q: m.qos,
        r: m.retain,
        e: 1_700_000_000_000,
      }),
    );
    const o = JSON.parse(json.toString()) as { t: string; p: string; q: 0 | 1; r: boolean; e: number };
    Buffer.from(o.p, 'base64');
  }
  const jsonMs = performance.now() - t;
  const m0 = messages[0] as OutgoingMessage;
  const jsonBytes = JSON.stringify({
    t: m0.topic,
    p: m0.payload.toString('base64'),
    q: 1,
    r: false,
    e: 1e12,
  }).length;
  console.log(
    `encode+decode ${n.toLocaleString('en-US')}: binary ${rate(n, binaryMs)} (${encodeValue(m0, 1).length} B/value), ` +
      `JSON+base64 ${rate(n, jsonMs)} (${jsonBytes} B/value)`,
  );
}

interface AppendShape {
  readonly total: number;
  readonly sync: boolean;
  readonly flushIntervalMs: number;
  readonly producers: number;
  readonly perAppend: number;
}

async function benchAppends(shape: AppendShape): Promise<void> {
  const { total, sync, flushIntervalMs, producers, perAppend } = shape;
  const queue = new LevelQueue({ dir: join(root, `append-${++runs}`), log, sync, flushIntervalMs });
  await queue.open();
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < total) {
        const from = next;
        next += perAppend;
        await queue.append(Array.from({ length: perAppend }, (_, k) => sample(from + k)));
      }
    }),
  );
  const ms = performance.now() - t;
  await queue.close();
  console.log(
    `append sync=${sync} flushIntervalMs=${flushIntervalMs} producers=${producers} × ${perAppend} msg/append: ` +
      `${total.toLocaleString('en-US')} messages, ${rate(total, ms)}`,
  );
}

async function benchBacklog(total: number): Promise<void> {
  const dir = join(root, `backlog-${++runs}`);
  const fill = new LevelQueue({ dir, log, maxBatchBytes: 1024 * 1024 });
  await fill.open();
  for (let i = 0; i < total; i += 5000) {
    await fill.append(Array.from({ length: 5000 }, (_, k) => sample(i + k)));
  }
  await fill.close();

  let t = performance.now();
  const queue = new LevelQueue({ dir, log });
  await queue.open();
  console.log(
    `open scan of ${queue.stats().depth.toLocaleString('en-US')} messages: ${Math.round(performance.now() - t)} ms`,
  );

  t = performance.now();
  let after = 0;
  let drained = 0;
  for (let page = await queue.read(after, 1000); page.length > 0; page = await queue.read(after, 1000)) {
    for (let i = 0; i < page.length; i += 100) await queue.ack(page.slice(i, i + 100).map((m) => m.seq));
    drained += page.length;
    after = page.at(-1)?.seq ?? after;
  }
  const ms = performance.now() - t;
  console.log(
    `drain ${drained.toLocaleString('en-US')} (read 1000, ack 100): ${rate(drained, ms)}; depth now ${queue.stats().depth}`,
  );
  await queue.close();
}

async function benchLive(total: number, tailCacheBytes: number): Promise<void> {
  const queue = new LevelQueue({ dir: join(root, `live-${++runs}`), log, tailCacheBytes });
  await queue.open();
  let after = 0;
  const t = performance.now();
  for (let i = 0; i < total; i += 10) {
    await queue.append(Array.from({ length: 10 }, (_, k) => sample(i + k)));
    const page = await queue.read(after, 100);
    after = page.at(-1)?.seq ?? after;
    await queue.ack(page.map((m) => m.seq));
  }
  const ms = performance.now() - t;
  await queue.close();
  console.log(
    `live append 10 / read / ack, tailCacheBytes=${tailCacheBytes}: ${total.toLocaleString('en-US')} messages, ${rate(total, ms)}`,
  );
}

console.log(
  `${new Date().toISOString()} · ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length} · Node ${process.version} · ${root}`,
);
benchEncoding(500_000);
for (const sync of [false, true]) {
  const n = sync ? 50_000 : 200_000;
  for (const flushIntervalMs of [5, 0]) {
    await benchAppends({ total: n, sync, flushIntervalMs, producers: 200, perAppend: 1 });
    await benchAppends({ total: n, sync, flushIntervalMs, producers: 1000, perAppend: 1 });
    await benchAppends({ total: n, sync, flushIntervalMs, producers: 200, perAppend: 10 });
  }
}
await benchBacklog(500_000);
await benchLive(100_000, 0);
await benchLive(100_000, 16 * 1024 * 1024);
if (process.argv[2] === undefined) await rm(root, { recursive: true, force: true });
