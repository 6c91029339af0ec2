/**
 * Which messages carry `historical` (issue 12, point 10): only what waited through a restart or an
 * outage. The boundary on its own (BacklogBoundary), then against a real Mosquitto: a cold start with the
 * broker up (what the first polls queue before the first connection is live), a cold start with the
 * broker down (what was queued during the outage is backlog), and a connection lost mid-stream.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../gateway/log.ts';
import { BacklogBoundary } from '../../../gateway/publisher/backlog-boundary.ts';
import { createPublisher, type Publisher } from '../../../gateway/publisher/mqtt-publisher.ts';
import type { MessageQueue } from '../../../gateway/queue/queue.ts';
import { type Mosquitto, type MosquittoOptions, startMosquitto, stopAll } from '../../helpers/mosquitto.ts';
import {
  isHistorical,
  range,
  type Subscriber,
  seqFromPayload,
  startSubscriber,
} from '../../helpers/subscriber.ts';
import { captureLog, numbered, openQueue, until } from './fixtures.ts';

const TOPICS = ['fb/test/a', 'fb/test/b'];

describe('BacklogBoundary', () => {
  it('makes only what predates the start backlog on a first connection that succeeds at once', () => {
    const boundary = new BacklogBoundary();
    boundary.started(101); // seqs 1..100 were queued by the previous process
    expect(boundary.connected(151)).toBe(101); // 101..150, queued since the start, are live
  });

  it('makes everything queued before the connection backlog once an attempt failed or a connection was lost', () => {
    const boundary = new BacklogBoundary();
    boundary.started(1);
    boundary.wentDown(); // the first attempt failed: the broker is down at start
    expect(boundary.connected(40)).toBe(40);
    // Connected, queued 40..59, then the connection drops and comes back at 80.
    boundary.wentDown();
    expect(boundary.connected(80)).toBe(80);
    // A restart of the publisher in the same process: its leftovers are backlog, nothing else.
    boundary.started(95);
    expect(boundary.connected(120)).toBe(95);
  });
});

const brokers: Mosquitto[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(() => stopAll(brokers));

async function broker(options?: MosquittoOptions): Promise<Mosquitto> {
  const started = await startMosquitto(options);
  brokers.push(started);
  return started;
}

async function subscriber(url: string, clientId?: string): Promise<Subscriber> {
  const sub = await startSubscriber({
    url,
    topics: ['fb/test/#'],
    ...(clientId === undefined ? {} : { clientId }),
  });
  cleanups.push(() => sub.close());
  return sub;
}

function publisher(url: string, queue: MessageQueue, log: Logger): Publisher {
  const pub = createPublisher(
    {
      url,
      clientId: `fb-hist-${Math.random().toString(36).slice(2, 8)}`,
      gatewayId: 'gw1',
      bootId: 'boot-hist',
      reconnect: { initialMs: 20, maxMs: 200 },
    },
    queue,
    log,
  );
  cleanups.push(() => pub.stop({ drainMs: 200 }));
  return pub;
}

/** The seqs received with and without the historical stamp (first copy of each). */
function split(sub: Subscriber): { historical: number[]; live: number[] } {
  const seen = new Set<number>();
  const out = { historical: [] as number[], live: [] as number[] };
  for (const message of sub.messages) {
    const seq = seqFromPayload(message);
    if (seq === undefined || seen.has(seq)) continue;
    seen.add(seq);
    (isHistorical(message) ? out.historical : out.live).push(seq);
  }
  out.historical.sort((a, b) => a - b);
  out.live.sort((a, b) => a - b);
  return out;
}

describe('historical against a real Mosquitto', () => {
  it('cold start, broker up: only what was queued before the start is historical, the first polls are live', async () => {
    const { log } = captureLog();
    const mosquitto = await broker();
    const sub = await subscriber(mosquitto.url);
    const queue = await openQueue(log);
    await queue.append(numbered(100, TOPICS)); // the previous process's leftovers: seqs 1..100
    const pub = publisher(mosquitto.url, queue, log);
    await pub.start();
    // The first polls of this process, queued while the first connection is still being made.
    await queue.append(numbered(200, TOPICS, 100));
    expect(pub.metrics().connected).toBe(false);
    await until(
      () => pub.metrics().connected,
      5000,
      () => 'the connection',
    );
    await queue.append(numbered(100, TOPICS, 300));

    await sub.waitFor((c) => c.unique >= 400);
    expect(sub.counts(range(1, 400))).toMatchObject({ missing: [], duplicates: 0, outOfOrder: 0 });
    expect(split(sub)).toEqual({ historical: range(1, 100), live: range(101, 400) });
    expect(pub.metrics().replayed).toBe(100);
  });

  it('cold start, broker down: what was queued during the outage is historical, what follows the connection is live', async () => {
    const { log } = captureLog();
    // Persistence keeps the subscriber's session across the broker's stop, so it gets everything.
    const mosquitto = await broker({ persistence: true });
    const sub = await subscriber(mosquitto.url, 'hist-outage-counter');
    await mosquitto.stop();
    const queue = await openQueue(log);
    const pub = publisher(mosquitto.url, queue, log);
    await pub.start();
    await queue.append(numbered(50, TOPICS));
    await until(
      () => pub.metrics().lastError?.includes('ECONNREFUSED') === true,
      5000,
      () => `an ECONNREFUSED error, have ${pub.metrics().lastError}`,
    );
    await queue.append(numbered(50, TOPICS, 50));
    await mosquitto.restart();
    await until(
      () => pub.metrics().connected,
      5000,
      () => 'the connection',
    );
    await queue.append(numbered(50, TOPICS, 100));

    await sub.waitFor((c) => c.unique >= 150);
    expect(sub.counts(range(1, 150))).toMatchObject({ missing: [], outOfOrder: 0 });
    expect(split(sub)).toEqual({ historical: range(1, 100), live: range(101, 150) });
  });

  it('a connection lost mid-stream: what was queued while it was down is historical', async () => {
    const { log } = captureLog();
    const mosquitto = await broker({ persistence: true });
    const sub = await subscriber(mosquitto.url, 'hist-drop-counter');
    const queue = await openQueue(log);
    const pub = publisher(mosquitto.url, queue, log);
    await pub.start();
    await until(
      () => pub.metrics().connected,
      5000,
      () => 'the connection',
    );
    await queue.append(numbered(100, TOPICS));
    await sub.waitFor((c) => c.unique >= 100);
    await until(
      () => queue.stats().depth === 0,
      5000,
      () => 'every PUBACK',
    );

    await mosquitto.stop();
    await until(
      () => !pub.metrics().connected,
      5000,
      () => 'the disconnection',
    );
    await queue.append(numbered(100, TOPICS, 100));
    await mosquitto.restart();
    await until(
      () => pub.metrics().connected,
      5000,
      () => 'the reconnection',
    );
    await queue.append(numbered(100, TOPICS, 200));

    await sub.waitFor((c) => c.unique >= 300);
    expect(sub.counts(range(1, 300))).toMatchObject({ missing: [], outOfOrder: 0 });
    expect(split(sub)).toEqual({ historical: range(101, 200), live: [...range(1, 100), ...range(201, 300)] });
  });
});
