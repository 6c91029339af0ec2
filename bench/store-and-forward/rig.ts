/**
 * One benchmark setup: a local Mosquitto (plain or TLS, spawned by the test helper), a LevelQueue with
 * the default durability settings (group commit 5 ms, no fsync: docs/queue.md) in a temp dir, and the
 * gateway's MQTT publisher at QoS 1 between them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createPublisher, type Publisher } from '../../gateway/publisher/mqtt-publisher.ts';
import { LevelQueue } from '../../gateway/queue/level-queue.ts';
import type { TestCerts } from '../../test/helpers/certs.ts';
import { type Mosquitto, startMosquitto } from '../../test/helpers/mosquitto.ts';
import { withReadAhead } from './read-ahead.ts';

export interface Rig {
  readonly broker: Mosquitto;
  readonly queue: LevelQueue;
  readonly publisher: Publisher;
  /** performance.now() of the latest successful connection. */
  connectedAt(): number | undefined;
  /** Resolves once acknowledged PUBACKs reach `count` (checked every 2 ms). */
  waitForAcks(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRig(options: {
  readonly certs?: TestCerts | undefined;
  /** Publisher reads through the page cache of read-ahead.ts (an experiment). */
  readonly readAhead?: boolean;
}): Promise<Rig> {
  const log = pino({ level: 'silent' });
  const broker = await startMosquitto(options.certs === undefined ? {} : { tls: { certs: options.certs } });
  const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-sf-bench-'));
  const queue = new LevelQueue({ dir: join(dir, 'queue'), log });
  await queue.open();
  const publisher = createPublisher(
    {
      url: broker.url,
      clientId: `bench-${process.pid}`,
      gatewayId: 'bench',
      bootId: 'bench-boot',
      tls: options.certs === undefined ? undefined : { ca: options.certs.ca.cert },
      // Reconnect quickly after the broker comes back, so the drain timing is not backoff.
      reconnect: { initialMs: 20, maxMs: 100 },
    },
    options.readAhead === true ? withReadAhead(queue) : queue,
    log,
  );
  let connectedAt: number | undefined;
  publisher.onState((state) => {
    if (state === 'connected') connectedAt = performance.now();
  });
  return {
    broker,
    queue,
    publisher,
    connectedAt: () => connectedAt,
    waitForAcks: async (count) => {
      while (publisher.metrics().acknowledged < count) await sleep(2);
    },
    close: async () => {
      await publisher.stop({ drainMs: 500 });
      await queue.close();
      await broker.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
