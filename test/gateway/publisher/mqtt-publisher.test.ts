/**
 * The publisher against a real Mosquitto: delivery, order, MQTT 3.1.1 and 5, TLS and mutual TLS, clear
 * TLS errors, broker restarts and outages without loss, the status topic, and Receive Maximum.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../gateway/log.ts';
import {
  createPublisher,
  type Publisher,
  type PublisherOptions,
} from '../../../gateway/publisher/mqtt-publisher.ts';
import type { MessageQueue } from '../../../gateway/queue/queue.ts';
import { makeCerts, pem, type TestCerts } from '../../helpers/certs.ts';
import { type Mosquitto, type MosquittoOptions, startMosquitto, stopAll } from '../../helpers/mosquitto.ts';
import { range, type Subscriber, startSubscriber } from '../../helpers/subscriber.ts';
import { captureLog, numbered, openQueue, startProxy, type TcpProxy, until } from './fixtures.ts';

const TOPICS = ['fb/test/a', 'fb/test/b', 'fb/test/c'];
const BOOT = 'boot-1234';
const FAST_RECONNECT = { initialMs: 20, maxMs: 200 };

let certs: TestCerts;
let certDir: string;
const brokers: Mosquitto[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'fieldbridge-publisher-certs-'));
  certs = await makeCerts(certDir);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await stopAll(brokers);
  await rm(certDir, { recursive: true, force: true });
});

async function broker(options?: MosquittoOptions): Promise<Mosquitto> {
  const started = await startMosquitto(options);
  brokers.push(started);
  return started;
}

async function subscriber(url: string, topics: readonly string[], extra = {}): Promise<Subscriber> {
  const sub = await startSubscriber({ url, topics, ...extra });
  cleanups.push(() => sub.close());
  return sub;
}

function publisher(
  options: Partial<PublisherOptions> & { url: string },
  queue: MessageQueue,
  log: Logger,
): Publisher {
  const pub = createPublisher(
    {
      clientId: `fb-test-${Math.random().toString(36).slice(2, 8)}`,
      gatewayId: 'gw1',
      bootId: BOOT,
      reconnect: FAST_RECONNECT,
      ...options,
    },
    queue,
    log,
  );
  cleanups.push(() => pub.stop({ drainMs: 200 }));
  return pub;
}

describe('publishing to a real Mosquitto', () => {
  it.each([5, 4] as const)(
    'delivers every message complete and in order per topic (MQTT protocol %d)',
    async (protocolVersion) => {
      const { log } = captureLog();
      const mosquitto = await broker();
      const queue = await openQueue(log);
      const sub = await subscriber(mosquitto.url, ['fb/test/#'], { protocolVersion });
      await queue.append(numbered(600, TOPICS));
      const pub = publisher({ url: mosquitto.url, protocolVersion }, queue, log);
      await pub.start();
      // Appended once connected: live, not historical.
      await until(
        () => pub.metrics().connected,
        5000,
        () => 'the connection',
      );
      await queue.append(numbered(400, TOPICS, 600));

      const counts = await sub.waitFor((c) => c.unique >= 1000);
      expect(sub.counts(range(1, 1000))).toMatchObject({ missing: [], duplicates: 0, outOfOrder: 0 });
      expect(counts.received).toBe(1000);
      await until(
        () => queue.stats().depth === 0,
        5000,
        () => `queue depth 0, is ${queue.stats().depth}`,
      );
      expect(pub.metrics()).toMatchObject({
        published: 1000,
        acknowledged: 1000,
        resent: 0,
        connected: true,
      });

      // The stamp: seq and boot first in the JSON payload, historical only for the pre-start backlog.
      const first = sub.messages.find((m) => m.payload.toString().startsWith('{"seq":1,'))!;
      expect(JSON.parse(first.payload.toString())).toEqual({
        seq: 1,
        boot: BOOT,
        historical: true,
        n: 0,
        value: 0,
      });
      const live = sub.messages.find((m) => m.payload.toString().startsWith('{"seq":1000,'))!;
      expect(JSON.parse(live.payload.toString())).toEqual({
        seq: 1000,
        boot: BOOT,
        n: 999,
        value: 999 * 1.5,
      });
      // JSON object payloads carry the stamp themselves: no user properties on top (docs/delivery.md).
      expect(first.userProperties).toBeUndefined();
      expect(live.userProperties).toBeUndefined();
    },
  );

  it.each([5, 4] as const)(
    'stamps a payload that is not a JSON object with MQTT 5 user properties, leaving it unchanged (MQTT %d)',
    async (protocolVersion) => {
      const { log } = captureLog();
      const mosquitto = await broker();
      const queue = await openQueue(log);
      const sub = await subscriber(mosquitto.url, ['fb/test/#'], { protocolVersion });
      const raw = Buffer.from([0x00, 0xff, 0x7b]);
      const [seq] = await queue.append([{ topic: 'fb/test/raw', payload: raw, qos: 1, retain: false }]);
      const next = sub.nextOn('fb/test/raw');
      const pub = publisher({ url: mosquitto.url, protocolVersion }, queue, log);
      await pub.start();
      const message = await next;
      expect(sub.messages).toHaveLength(1);
      expect(message.payload).toEqual(raw);
      expect(message.userProperties).toEqual(
        protocolVersion === 5 ? { seq: String(seq), boot: BOOT, historical: 'true' } : undefined,
      );
    },
  );

  it('keeps at most the broker Receive Maximum in flight (mosquitto max_inflight_messages 10)', async () => {
    const { log } = captureLog();
    const mosquitto = await broker({ maxInflightMessages: 10 });
    const queue = await openQueue(log);
    const sub = await subscriber(mosquitto.url, ['fb/test/#']);
    await queue.append(numbered(2000, TOPICS));
    const pub = publisher({ url: mosquitto.url, inflight: 100 }, queue, log);
    const states: string[] = [];
    pub.onState((state) => states.push(state));
    await pub.start();

    await sub.waitFor((c) => c.unique >= 2000);
    expect(sub.counts(range(1, 2000))).toMatchObject({ missing: [], outOfOrder: 0 });
    const metrics = pub.metrics();
    expect(metrics.window).toBe(10);
    expect(metrics.peakInflight).toBeLessThanOrEqual(10);
    expect(metrics.peakInflight).toBeGreaterThan(1);
    expect(metrics.lastError).toBeUndefined();
    expect(states).toEqual(['connecting', 'connected']);
  });
});

describe('TLS', () => {
  it('publishes over TLS with server authentication (CA given as a file path)', async () => {
    const { log } = captureLog();
    const mosquitto = await broker({ tls: { certs } });
    const queue = await openQueue(log);
    const sub = await subscriber(mosquitto.url, ['fb/test/#'], { mqtt: { ca: await pem(certs.ca.cert) } });
    await queue.append(numbered(100, TOPICS));
    const pub = publisher({ url: mosquitto.url, tls: { ca: certs.ca.cert } }, queue, log);
    await pub.start();
    await sub.waitFor((c) => c.unique >= 100);
    expect(sub.counts(range(1, 100))).toMatchObject({ missing: [], outOfOrder: 0 });
  });

  it('publishes with mutual TLS (certificates given as PEM contents)', async () => {
    const { log } = captureLog();
    const mosquitto = await broker({ tls: { certs, requireClientCert: true } });
    const queue = await openQueue(log);
    const clientTls = {
      ca: await pem(certs.ca.cert),
      cert: await pem(certs.client.cert),
      key: await pem(certs.client.key),
    };
    const sub = await subscriber(mosquitto.url, ['fb/test/#'], { mqtt: clientTls });
    await queue.append(numbered(100, TOPICS));
    const pub = publisher({ url: mosquitto.url, tls: clientTls }, queue, log);
    await pub.start();
    await sub.waitFor((c) => c.unique >= 100);
    expect(sub.counts(range(1, 100))).toMatchObject({ missing: [], outOfOrder: 0 });
  });

  it.each([
    {
      name: 'an unknown CA',
      broker: { serverCert: 'unknown-ca' } as const,
      expected:
        /TLS: the certificate of MQTT broker mqtts:\/\/127\.0\.0\.1:\d+ is not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); set mqtt\.tls\.ca/,
    },
    {
      name: 'a wrong host name',
      broker: { serverCert: 'wrong-host' } as const,
      expected:
        /TLS: the certificate of MQTT broker mqtts:\/\/127\.0\.0\.1:\d+ does not match its host name .*set mqtt\.tls\.servername/,
    },
    {
      name: 'a missing client certificate',
      broker: { requireClientCert: true } as const,
      expected:
        /TLS: MQTT broker mqtts:\/\/127\.0\.0\.1:\d+ requires a client certificate \(mutual TLS\) and none is configured .*set mqtt\.tls\.cert and mqtt\.tls\.key/,
    },
  ])(
    'refuses $name with a clear error, logged once, and acks nothing',
    async ({ broker: tlsOptions, expected }) => {
      const captured = captureLog();
      const mosquitto = await broker({ tls: { certs, ...tlsOptions } });
      const queue = await openQueue(captured.log);
      await queue.append(numbered(20, TOPICS));
      const pub = publisher({ url: mosquitto.url, tls: { ca: certs.ca.cert } }, queue, captured.log);
      let attempts = 0;
      pub.onState((state) => {
        if (state === 'connecting') attempts++;
      });
      await pub.start();

      await until(
        () => attempts >= 4,
        10_000,
        () => `4 connection attempts, saw ${attempts}`,
      );
      const { lastError } = pub.metrics();
      expect(lastError).toMatch(expected);
      expect(captured.errors(lastError!)).toBe(1);
      expect(queue.stats().depth).toBe(20);
      expect(pub.metrics()).toMatchObject({ acknowledged: 0, connected: false });
    },
  );
});

describe('faults', () => {
  it('loses nothing and keeps per-topic order while the broker restarts 5 times during 20k messages', async () => {
    const { log } = captureLog();
    // Persistence: the subscriber's session and the messages queued for it survive each graceful restart,
    // so everything the broker PUBACKed reaches the subscriber and any gap is the publisher's fault.
    const mosquitto = await broker({ persistence: true });
    const queue = await openQueue(log);
    const sub = await subscriber(mosquitto.url, ['fb/test/#'], { clientId: 'restart-counter' });
    const pub = publisher({ url: mosquitto.url, publishTimeoutMs: 2000 }, queue, log);
    await pub.start();

    const total = 20_000;
    const producing = (async () => {
      for (let sent = 0; sent < total; sent += 250) {
        await queue.append(numbered(250, TOPICS, sent));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    for (let restart = 1; restart <= 5; restart++) {
      await sub.waitFor((c) => c.unique >= restart * 3000, 15_000);
      await mosquitto.restart();
    }
    await producing;

    await sub.waitFor((c) => c.unique >= total, 15_000);
    const counts = sub.counts(range(1, total));
    expect(counts.missing).toEqual([]);
    expect(counts.outOfOrder).toBe(0);
    expect(counts.received).toBe(total + counts.duplicates);
    await until(
      () => queue.stats().depth === 0,
      5000,
      () => `queue depth 0, is ${queue.stats().depth}`,
    );
    expect(pub.metrics().reconnects).toBe(5);
    expect(pub.metrics().acknowledged).toBeGreaterThanOrEqual(total);
  });

  it('sends live data ahead of a backlog that drains under the replay rate cap', async () => {
    const { log } = captureLog();
    const mosquitto = await broker();
    const queue = await openQueue(log);
    const sub = await subscriber(mosquitto.url, ['fb/test/#']);
    // 3000 messages of backlog at 1000/s would take 3 s; live data must not wait for it.
    await queue.append(numbered(3000, TOPICS));
    const pub = publisher({ url: mosquitto.url, replayRatePerSecond: 1000 }, queue, log);
    await pub.start();
    await until(
      () => pub.metrics().connected,
      5000,
      () => 'the connection',
    );
    await queue.append(numbered(30, TOPICS, 3000));
    const liveSeqs = range(3001, 3030).map((id) => `"seq":${id},`);
    const seen = (marker: string) => sub.messages.some((m) => m.payload.includes(marker));
    const live = await sub.waitFor(() => liveSeqs.every(seen), 2000);
    expect(live.unique).toBeLessThan(2500); // the live messages overtook most of the backlog
    const liveMessages = sub.messages.filter((m) =>
      /"seq":30(0[1-9]|[12][0-9]|30),/.test(m.payload.toString()),
    );
    expect(liveMessages).toHaveLength(30);
    expect(liveMessages.every((m) => !m.payload.includes('"historical":true'))).toBe(true);

    await sub.waitFor((c) => c.unique >= 3030, 10_000);
    expect(sub.counts(range(1, 3030))).toMatchObject({ missing: [], duplicates: 0, outOfOrder: 0 });
    const backlog = sub.messages.filter((m) => m.payload.includes('"historical":true'));
    expect(backlog).toHaveLength(3000);
  });

  it('delivers everything appended while the broker was down once it is back', async () => {
    const { log } = captureLog();
    const mosquitto = await broker({ persistence: true });
    const queue = await openQueue(log);
    const sub = await subscriber(mosquitto.url, ['fb/test/#'], { clientId: 'outage-counter' });
    const pub = publisher({ url: mosquitto.url }, queue, log);
    await pub.start();
    await queue.append(numbered(100, TOPICS));
    await sub.waitFor((c) => c.unique >= 100);

    await mosquitto.stop();
    for (let i = 0; i < 10; i++) {
      await queue.append(numbered(100, TOPICS, 100 + i * 100));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(
      () => pub.metrics().lastError?.includes('ECONNREFUSED') === true,
      5000,
      () => `an ECONNREFUSED error, have ${pub.metrics().lastError}`,
    );
    expect(queue.stats().depth).toBe(1000);
    await mosquitto.restart();

    await sub.waitFor((c) => c.unique >= 1100);
    expect(sub.counts(range(1, 1100))).toMatchObject({ missing: [], outOfOrder: 0 });
    await until(
      () => queue.stats().depth === 0,
      5000,
      () => `queue depth 0, is ${queue.stats().depth}`,
    );
    expect(pub.metrics().replayed).toBeGreaterThanOrEqual(1000);
  });
});

describe('status topic', () => {
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
  });

  it('publishes a retained online birth, the last will when the socket dies, and offline on stop', async () => {
    const { log } = captureLog();
    const mosquitto = await broker();
    proxy = await startProxy(mosquitto.port);
    const statusTopic = 'fb/gw1/status';
    const sub = await subscriber(mosquitto.url, [statusTopic], { idOf: () => undefined });
    const queue = await openQueue(log);
    const pub = publisher({ url: proxy.url, statusTopic }, queue, log);
    const state = (m: { payload: Buffer }) => JSON.parse(m.payload.toString()) as Record<string, unknown>;

    const online = sub.nextOn(statusTopic);
    await pub.start();
    expect(state(await online)).toMatchObject({ state: 'online', gateway: 'gw1', boot: BOOT });
    expect(Date.parse(String(state(await online).ts))).not.toBeNaN();

    // The socket dies without a DISCONNECT: the broker publishes the will; then the publisher reconnects.
    const mark = sub.messages.length;
    proxy.cut();
    await until(
      () => sub.messages.length >= mark + 2,
      5000,
      () => 'the will and a new birth',
    );
    expect(sub.messages.slice(mark).map((m) => state(m))).toMatchObject([
      { state: 'offline', gateway: 'gw1', boot: BOOT },
      { state: 'online', gateway: 'gw1', boot: BOOT },
    ]);

    const offline = sub.nextOn(statusTopic);
    await pub.stop();
    expect(state(await offline)).toMatchObject({ state: 'offline', gateway: 'gw1', boot: BOOT });

    // Retained: a consumer arriving later learns the last state at once.
    const late = await subscriber(mosquitto.url, [statusTopic], { idOf: () => undefined });
    await until(
      () => late.messages.length > 0,
      5000,
      () => 'the retained status',
    );
    expect(late.messages[0]!.retain).toBe(true);
    expect(state(late.messages[0]!)).toMatchObject({ state: 'offline' });
  });
});
