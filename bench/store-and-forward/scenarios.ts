/**
 * The two measurements of issue 3:
 * - throughput: messages/s from `append` to PUBACK (and queue ack), producers shaped like device runners
 *   (100 devices, each awaiting its append before the next poll; per-tag mode appends 10 messages per
 *   poll, batch mode one message of 100 tags);
 * - drain: a backlog appended while the broker is down, then the rate at which it goes out once the
 *   broker is back, and the latency of live messages appended meanwhile (append → subscriber).
 */
import mqtt from 'mqtt';
import type { TestCerts } from '../../test/helpers/certs.ts';
import { messageSource } from './payloads.ts';
import { type Rig, sleep, startRig } from './rig.ts';
import { percentile } from './stats.ts';

const PRODUCERS = 100;

export interface ThroughputResult {
  readonly messagesPerSecond: number;
  readonly payloadBytes: number;
}

export async function throughput(options: {
  readonly certs: TestCerts | undefined;
  readonly tagsPerMessage: number;
  readonly total: number;
  readonly readAhead: boolean;
}): Promise<ThroughputResult> {
  const rig = await startRig(options);
  try {
    await rig.publisher.start();
    await waitConnected(rig);
    const source = messageSource(options.tagsPerMessage);
    const perAppend = options.tagsPerMessage === 1 ? 10 : 1;
    let produced = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PRODUCERS }, async (_, device) => {
        while (produced < options.total) {
          produced += perAppend;
          await rig.queue.append(source.next(device, perAppend));
        }
      }),
    );
    await rig.waitForAcks(produced);
    const ms = performance.now() - t0;
    return { messagesPerSecond: (produced / ms) * 1000, payloadBytes: source.payloadBytes };
  } finally {
    await rig.close();
  }
}

export interface DrainResult {
  readonly backlog: number;
  /** Appending the backlog (chunks of 5000) with the broker down. */
  readonly fillPerSecond: number;
  /** Backlog messages/s from the connection to the last backlog PUBACK. */
  readonly drainPerSecond: number;
  readonly drainMs: number;
  readonly live: { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number };
}

const LIVE_TOPIC = 'bench/live';
const LIVE_EVERY_MS = 20;

export async function drain(options: {
  readonly certs: TestCerts | undefined;
  readonly backlog: number;
  readonly readAhead: boolean;
}): Promise<DrainResult> {
  const rig = await startRig(options);
  try {
    await rig.broker.stop();
    const source = messageSource(1);
    let t = performance.now();
    for (let i = 0; i < options.backlog; i += 5000) {
      await rig.queue.append(source.next(i / 5000, Math.min(5000, options.backlog - i)));
    }
    const fillPerSecond = (options.backlog / (performance.now() - t)) * 1000;
    await rig.publisher.start();
    await rig.broker.restart();
    const latencies: number[] = [];
    const sub = mqtt.connect(rig.broker.url, {
      clientId: `bench-live-${process.pid}`,
      ...(options.certs === undefined ? {} : { ca: await readCa(options.certs) }),
    });
    sub.on('message', (_topic, payload) => {
      const sent = /"t":([\d.]+)/.exec(payload.toString())?.[1];
      if (sent !== undefined) latencies.push(performance.timeOrigin + performance.now() - Number(sent));
    });
    await sub.subscribeAsync(LIVE_TOPIC, { qos: 1 });
    let live = 0;
    let draining = true;
    const liveLoop = (async () => {
      while (draining) {
        live++;
        const sentAt = performance.timeOrigin + performance.now();
        await rig.queue.append([
          { topic: LIVE_TOPIC, payload: Buffer.from(`{"t":${sentAt}}`), qos: 1, retain: false },
        ]);
        await sleep(LIVE_EVERY_MS);
      }
    })();
    await waitConnected(rig);
    t = rig.connectedAt()!;
    await rig.waitForAcks(options.backlog);
    const drainMs = performance.now() - t;
    draining = false;
    await liveLoop;
    while (latencies.length < live) await sleep(5);
    await sub.endAsync();
    return {
      backlog: options.backlog,
      fillPerSecond,
      drainPerSecond: (options.backlog / drainMs) * 1000,
      drainMs,
      live: {
        count: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
      },
    };
  } finally {
    await rig.close();
  }
}

async function waitConnected(rig: Rig): Promise<void> {
  while (!rig.publisher.metrics().connected) await sleep(2);
}

async function readCa(certs: TestCerts): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(certs.ca.cert, 'utf8');
}
