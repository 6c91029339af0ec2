/**
 * A counting MQTT subscriber for delivery tests: QoS 1, a fixed client id and a persistent session
 * (clean=false; MQTT 5 with a long session expiry) so that while it reconnects the broker keeps
 * queueing for it. Across a broker *restart* that only holds when the broker runs with persistence
 * (startMosquitto({ persistence: true }) and a graceful restart): see test/helpers/mosquitto.ts.
 *
 * Each message is identified by an id taken from the message (default: the publisher's `seq`, read from
 * the JSON payload, which works for MQTT 3.1.1 and 5 alike).
 *
 *   const sub = await startSubscriber({ url: broker.url, topics: ['t/#'] });
 *   await sub.waitFor((c) => c.unique >= 1000);
 *   expect(sub.counts(range(1, 1000))).toMatchObject({ missing: [], duplicates: 0, outOfOrder: 0 });
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly userProperties: Readonly<Record<string, string | string[]>> | undefined;
}

export interface SubscriberOptions {
  readonly url: string;
  readonly topics: readonly string[];
  readonly protocolVersion?: 4 | 5;
  /** Default: a random fixed id for this subscriber's lifetime. */
  readonly clientId?: string;
  /** Extracts a message's id; undefined = not counted (e.g. status messages). Default: payload `seq`. */
  readonly idOf?: (message: ReceivedMessage) => number | undefined;
  /** Extra MQTT.js options (TLS for a mqtts:// broker). */
  readonly mqtt?: IClientOptions;
}

export interface DeliveryCounts {
  /** Counted messages received, duplicates included. */
  readonly received: number;
  /** Distinct ids received. */
  readonly unique: number;
  /** received - unique. */
  readonly duplicates: number;
  /** Expected ids never received (only when `expected` was given), ascending. */
  readonly missing: number[];
  /**
   * First arrivals whose id is lower than an id already seen on the same topic: real reordering.
   * Duplicates (resends after a reconnect) go backwards by nature and are not counted here.
   */
  readonly outOfOrder: number;
  readonly outOfOrderByTopic: Readonly<Record<string, number>>;
}

export interface Subscriber {
  readonly clientId: string;
  /** Every message, in arrival order (also those without an id). */
  readonly messages: readonly ReceivedMessage[];
  counts(expected?: Iterable<number>): DeliveryCounts;
  /** Resolves once `predicate(counts())` holds; rejects after `timeoutMs` (default 20 s) with the counts. */
  waitFor(predicate: (counts: DeliveryCounts) => boolean, timeoutMs?: number): Promise<DeliveryCounts>;
  /** Resolves with the next message on `topic` received after this call. */
  nextOn(topic: string, timeoutMs?: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

const SEQ_FIELD = /"seq":(\d+)/;

export function seqFromPayload(message: ReceivedMessage): number | undefined {
  // The publisher splices "seq" in as the first field; a regex on the head avoids parsing every payload.
  const match = SEQ_FIELD.exec(message.payload.subarray(0, 64).toString('latin1'));
  if (match !== null) return Number(match[1]);
  // Payloads that are not JSON objects carry the stamp as MQTT 5 user properties (docs/delivery.md).
  const seq = message.userProperties?.seq;
  return typeof seq === 'string' ? Number(seq) : undefined;
}

/** Backlog replay: the publisher's `historical` stamp (payload head, or the MQTT 5 user property). */
export function isHistorical(message: ReceivedMessage): boolean {
  if (message.userProperties?.historical === 'true') return true;
  return message.payload.subarray(0, 96).includes('"historical":true');
}

export async function startSubscriber(options: SubscriberOptions): Promise<Subscriber> {
  const clientId = options.clientId ?? `counting-sub-${randomUUID().slice(0, 8)}`;
  const protocolVersion = options.protocolVersion ?? 5;
  const idOf = options.idOf ?? seqFromPayload;
  const messages: ReceivedMessage[] = [];
  const seen = new Set<number>();
  const maxByTopic = new Map<string, number>();
  const outOfOrderByTopic: Record<string, number> = {};
  let received = 0;
  const listeners = new Set<() => void>();

  const client: MqttClient = mqtt.connect(options.url, {
    ...options.mqtt,
    clientId,
    protocolVersion,
    clean: false,
    // MQTT 5: clean=false is "clean start false"; the session must also outlive the connection.
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    reconnectPeriod: 100,
    connectTimeout: 2000,
    // Resubscribe after reconnect only when the broker has no session (MQTT.js checks sessionPresent).
    resubscribe: true,
  });

  client.on('message', (topic, payload, packet) => {
    const message: ReceivedMessage = {
      topic,
      payload,
      retain: packet.retain,
      userProperties: packet.properties?.userProperties,
    };
    messages.push(message);
    const id = idOf(message);
    if (id !== undefined) {
      received++;
      if (!seen.has(id)) {
        seen.add(id);
        // Order is promised per topic within live data and within backlog (the publisher sends live data
        // ahead of a draining backlog: docs/delivery.md), so each topic has two ordered streams.
        const stream = isHistorical(message) ? `${topic} (historical)` : topic;
        const max = maxByTopic.get(stream);
        if (max !== undefined && id < max) outOfOrderByTopic[stream] = (outOfOrderByTopic[stream] ?? 0) + 1;
        if (max === undefined || id > max) maxByTopic.set(stream, id);
      }
    }
    for (const listener of listeners) listener();
  });

  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync([...options.topics], { qos: 1 });

  const counts = (expected?: Iterable<number>): DeliveryCounts => {
    const missing: number[] = [];
    if (expected !== undefined) for (const id of expected) if (!seen.has(id)) missing.push(id);
    const outOfOrder = Object.values(outOfOrderByTopic).reduce((a, b) => a + b, 0);
    return {
      received,
      unique: seen.size,
      duplicates: received - seen.size,
      missing,
      outOfOrder,
      outOfOrderByTopic: { ...outOfOrderByTopic },
    };
  };

  const until = <T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> =>
    new Promise((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      const listener = (): void => {
        const value = check();
        if (value === undefined) return;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(`subscriber ${clientId}: timed out after ${timeoutMs} ms waiting for ${describe()}`),
        );
      }, timeoutMs);
      listeners.add(listener);
    });

  return {
    clientId,
    messages,
    counts,
    waitFor: (predicate, timeoutMs = 20_000) =>
      until(
        () => {
          const c = counts();
          return predicate(c) ? c : undefined;
        },
        timeoutMs,
        () => `a condition; counts now ${JSON.stringify(counts())}`,
      ),
    nextOn: (topic, timeoutMs = 10_000) => {
      const from = messages.length;
      return until(
        () => messages.slice(from).find((m) => m.topic === topic),
        timeoutMs,
        () => `a message on ${topic}`,
      );
    },
    close: async () => {
      await client.endAsync(true);
    },
  };
}

/** 1..n (or from..to inclusive) for `counts(expected)`. */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
