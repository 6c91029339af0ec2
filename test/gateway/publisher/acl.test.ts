/**
 * A broker ACL that denies some of the gateway's topics (issue 12, point 4), against a real Mosquitto
 * with an acl_file. MQTT 5: every refusal (negative PUBACK 0x87) is counted exactly, dropped from the
 * queue and logged once per burst per topic, and the allowed topics keep flowing. MQTT 3.1.1: the
 * protocol has no negative PUBACK, so Mosquitto acknowledges the denied publish and drops it; the
 * gateway can only count it as delivered (the limitation docs/delivery.md and `validate` state).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../gateway/log.ts';
import { createPublisher, type Publisher } from '../../../gateway/publisher/mqtt-publisher.ts';
import type { MessageQueue } from '../../../gateway/queue/queue.ts';
import { type Mosquitto, startMosquitto, stopAll } from '../../helpers/mosquitto.ts';
import { range, type Subscriber, startSubscriber } from '../../helpers/subscriber.ts';
import { captureLog, numbered, openQueue, until } from './fixtures.ts';

const ALLOWED = 'fb/test/ok/level';
const DENIED = ['fb/test/denied/a', 'fb/test/denied/b'];
/** Anonymous clients may write only fb/test/ok/#, and read everything under fb/test/. */
const ACL = ['topic readwrite fb/test/ok/#', 'topic read fb/test/#'];

const brokers: Mosquitto[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(() => stopAll(brokers));

async function aclBroker(): Promise<Mosquitto> {
  const broker = await startMosquitto({ acl: ACL });
  brokers.push(broker);
  return broker;
}

async function subscriber(url: string): Promise<Subscriber> {
  const sub = await startSubscriber({ url, topics: ['fb/test/#'] });
  cleanups.push(() => sub.close());
  return sub;
}

/** 2,000 messages: every other one on the allowed topic (odd seqs), the rest on two denied topics. */
const TOPICS = [ALLOWED, DENIED[0]!, ALLOWED, DENIED[1]!];
const TOTAL = 2000;
const allowedSeqs = range(1, TOTAL).filter((seq) => seq % 2 === 1);

function publisher(url: string, protocolVersion: 4 | 5, log: Logger, queue: MessageQueue): Publisher {
  const pub = createPublisher(
    { url, protocolVersion, clientId: `fb-acl-${protocolVersion}`, gatewayId: 'gw1', bootId: 'boot-acl' },
    queue,
    log,
  );
  cleanups.push(() => pub.stop({ drainMs: 200 }));
  return pub;
}

describe('a broker ACL denying some topics', () => {
  it('MQTT 5: counts every refusal exactly, logs one line per burst per topic, and the allowed topic keeps flowing', async () => {
    const captured = captureLog();
    const broker = await aclBroker();
    const sub = await subscriber(broker.url);
    const queue = await openQueue(captured.log);
    await queue.append(numbered(TOTAL, TOPICS));
    const pub = publisher(broker.url, 5, captured.log, queue);
    await pub.start();

    await until(
      () => queue.stats().depth === 0,
      10_000,
      () => `queue depth 0, is ${queue.stats().depth}`,
    );
    expect(pub.metrics()).toMatchObject({ rejected: 1000, acknowledged: 1000, published: TOTAL, resent: 0 });
    await sub.waitFor((c) => c.unique >= allowedSeqs.length);
    expect(sub.counts(allowedSeqs)).toMatchObject({ missing: [], duplicates: 0, outOfOrder: 0 });
    expect(sub.messages.filter((m) => m.topic !== ALLOWED)).toEqual([]);

    // One line per denied topic so far (the first refusal of each burst), not one per message.
    const refusals = () => captured.lines.filter((l) => l.msg.startsWith('broker refused'));
    expect(refusals().map((l) => [l.topic, l.rejected, l.reasonCode])).toEqual([
      [DENIED[0], 1, 0x87],
      [DENIED[1], 1, 0x87],
    ]);
    expect(refusals()[0]!.msg).toBe(
      `broker refused a message on ${DENIED[0]} for good (Not authorized, reason code 0x87); dropped it. Further refusals on this topic are counted and logged every 10 s`,
    );
    // The connection stayed up: a refusal for good is not a reason to reconnect.
    expect(pub.metrics()).toMatchObject({ reconnects: 0, connected: true });

    // The rest of each burst is logged with its count when the publisher stops: the counts add up.
    await pub.stop({ drainMs: 200 });
    expect(refusals()).toHaveLength(4);
    expect(refusals().reduce((sum, l) => sum + (l.rejected as number), 0)).toBe(1000);
    expect(refusals()[2]).toMatchObject({ topic: DENIED[0], rejected: 499, reasonCode: 0x87 });
  });

  it('MQTT 3.1.1: the broker acknowledges a denied publish, so it is counted as delivered (the protocol cannot say no)', async () => {
    const captured = captureLog();
    const broker = await aclBroker();
    const sub = await subscriber(broker.url);
    const queue = await openQueue(captured.log);
    await queue.append(numbered(TOTAL, TOPICS));
    const pub = publisher(broker.url, 4, captured.log, queue);
    await pub.start();

    await until(
      () => queue.stats().depth === 0,
      10_000,
      () => `queue depth 0, is ${queue.stats().depth}`,
    );
    await sub.waitFor((c) => c.unique >= allowedSeqs.length);
    expect(pub.metrics()).toMatchObject({ rejected: 0, acknowledged: TOTAL });
    expect(sub.counts(allowedSeqs)).toMatchObject({ missing: [], duplicates: 0 });
    // The denied half never reached the broker's subscribers, and nothing in the gateway says so.
    expect(sub.messages.filter((m) => m.topic !== ALLOWED)).toEqual([]);
    expect(captured.lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
