/**
 * The measuring subscriber: one MQTT client on the benchmark broker (QoS 1, persistent session, so the
 * broker keeps queueing for it across its own restarts in S5) that timestamps every delivery and reads
 * just enough of each payload to measure, without a full JSON.parse (S1 payloads are ~4 kB each):
 * - poll→delivery: delivery time − `tsMs` (the side's own read timestamp);
 * - change→delivery: delivery time − when the simulator wrote the values (block mode: registers r0..r3
 *   of the message; per-tag mode: the generation number the value carries);
 * - loss and duplicates from `seq`: one stream per fieldbridge boot (a gateway-wide sequence), one per
 *   topic for Node-RED (its function nodes number each topic from 1).
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { SampleBuffer } from './stats.ts';
import { TOPIC_PREFIX, type WorkloadMode } from './workload.ts';

const SEQ = /"seq":(\d+)/;
const BOOT = /"boot":"([^"]+)"/;
const TS_MS = /"tsMs":(\d+)/;
const HISTORICAL = /"historical":true/;
const BLOCK_STAMP =
  /"r0":\{"value":(\d+)[^}]*\},"r1":\{"value":(\d+)[^}]*\},"r2":\{"value":(\d+)[^}]*\},"r3":\{"value":(\d+)/;
const VALUE = /"value":(-?[\d.e+]+)/;
/** Enough of a block payload to hold seq, boot, ts, tsMs and r0..r3. */
const HEAD_BYTES = 400;

/** Seqs seen on one stream, as a growable bitmap (a Set of millions of numbers costs far more). */
class SeqStream {
  seen = new Uint8Array(1024);
  received = 0;
  unique = 0;
  max = 0;

  add(seq: number): void {
    this.received++;
    if (seq >= this.seen.length) {
      let size = this.seen.length;
      while (size <= seq) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[seq] === 0) {
      this.seen[seq] = 1;
      this.unique++;
    }
    if (seq > this.max) this.max = seq;
  }
}

export interface WindowStats {
  readonly seconds: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly pollLatencyMs: Float64Array;
  readonly changeLatencyMs: Float64Array;
  /** Deliveries per whole second of the window. */
  readonly perSecond: number[];
}

export interface DeliveryTotals {
  readonly received: number;
  readonly unique: number;
  readonly duplicates: number;
  /** Seqs below the highest one seen that never arrived (each stream counted from 1). */
  readonly lost: number;
  readonly historical: number;
}

/** Every delivery since reset, column-wise (typed arrays: S4 records millions). */
export interface DeliveryLog {
  readonly at: Float64Array;
  readonly pollLatency: Float64Array;
  readonly changeLatency: Float64Array;
  /** 1 for a backlog message fieldbridge marked `"historical":true`. */
  readonly historical: Float64Array;
}

class DeliveryColumns {
  readonly at = new SampleBuffer();
  readonly poll = new SampleBuffer();
  readonly change = new SampleBuffer();
  readonly historical = new SampleBuffer();
}

export interface MeasuringSubscriber {
  /** Clears everything: call before each side's run. */
  reset(mode: WorkloadMode, changeTimeOf: (gen: number) => number): void;
  /** Deliveries so far since reset. */
  readonly count: number;
  firstDeliveryAt(): number | undefined;
  /** Latency and rate over deliveries that arrived in [from, to) (epoch ms). */
  window(from: number, to: number): WindowStats;
  totals(): DeliveryTotals;
  /** Every delivery since reset, for S5's time series. */
  deliveries(): DeliveryLog;
  /** Resolves at the first delivery after reset; rejects after timeoutMs. */
  waitForFirst(timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

export async function startMeasuringSubscriber(url: string): Promise<MeasuringSubscriber> {
  let mode: WorkloadMode = 'block';
  let changeTimeOf: (gen: number) => number = () => Number.NaN;
  let log = new DeliveryColumns();
  let streams = new Map<string, SeqStream>();
  let historical = 0;
  let first: number | undefined;
  let waiters: ((at: number) => void)[] = [];

  const client: MqttClient = mqtt.connect(url, {
    clientId: `bench-measure-${randomUUID().slice(0, 8)}`,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 100,
    connectTimeout: 2000,
    resubscribe: true,
  });

  client.on('message', (topic, payload) => {
    const at = Date.now();
    const head = payload.toString('latin1', 0, Math.min(payload.length, HEAD_BYTES));
    const text = mode === 'block' ? head : payload.toString('latin1');
    const seq = SEQ.exec(head);
    if (seq === null) return; // status and other non-data messages
    const boot = BOOT.exec(head);
    const stream = boot === null ? topic : boot[1]!;
    let seqs = streams.get(stream);
    if (seqs === undefined) {
      seqs = new SeqStream();
      streams.set(stream, seqs);
    }
    seqs.add(Number(seq[1]));
    const isHistorical = HISTORICAL.test(head);
    if (isHistorical) historical++;
    const tsMs = TS_MS.exec(text);
    let changedAt = Number.NaN;
    if (mode === 'block') {
      const stamp = BLOCK_STAMP.exec(text);
      if (stamp !== null) {
        changedAt =
          Number(stamp[1]) * 2 ** 48 +
          Number(stamp[2]) * 2 ** 32 +
          Number(stamp[3]) * 2 ** 16 +
          Number(stamp[4]);
      }
    } else {
      const value = VALUE.exec(text);
      if (value !== null) changedAt = changeTimeOf(Number(value[1]));
    }
    log.at.push(at);
    log.poll.push(tsMs === null ? Number.NaN : at - Number(tsMs[1]));
    log.change.push(at - changedAt);
    log.historical.push(isHistorical ? 1 : 0);
    if (first === undefined) {
      first = at;
      for (const waiter of waiters) waiter(at);
      waiters = [];
    }
  });

  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(`${TOPIC_PREFIX}/#`, { qos: 1 });

  return {
    reset(nextMode, nextChangeTimeOf) {
      mode = nextMode;
      changeTimeOf = nextChangeTimeOf;
      log = new DeliveryColumns();
      streams = new Map();
      historical = 0;
      first = undefined;
    },
    get count() {
      return log.at.length;
    },
    firstDeliveryAt: () => first,
    window(from, to) {
      const poll = new SampleBuffer();
      const change = new SampleBuffer();
      const seconds = Math.max(1, Math.round((to - from) / 1000));
      const perSecond = new Array<number>(seconds).fill(0);
      let messages = 0;
      const ats = log.at.values();
      const polls = log.poll.values();
      const changes = log.change.values();
      const hist = log.historical.values();
      for (let i = 0; i < ats.length; i++) {
        const at = ats[i]!;
        if (at < from || at >= to) continue;
        messages++;
        const slot = Math.floor((at - from) / 1000);
        if (slot < seconds) perSecond[slot]!++;
        if (hist[i] === 0) {
          if (Number.isFinite(polls[i]!)) poll.push(polls[i]!);
          if (Number.isFinite(changes[i]!)) change.push(changes[i]!);
        }
      }
      return {
        seconds: (to - from) / 1000,
        messages,
        messagesPerSecond: messages / ((to - from) / 1000),
        pollLatencyMs: poll.values(),
        changeLatencyMs: change.values(),
        perSecond,
      };
    },
    totals() {
      let received = 0;
      let unique = 0;
      let lost = 0;
      for (const s of streams.values()) {
        received += s.received;
        unique += s.unique;
        lost += s.max - s.unique;
      }
      return { received, unique, duplicates: received - unique, lost, historical };
    },
    deliveries: () => ({
      at: log.at.values(),
      pollLatency: log.poll.values(),
      changeLatency: log.change.values(),
      historical: log.historical.values(),
    }),
    waitForFirst(timeoutMs) {
      if (first !== undefined) return Promise.resolve(first);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no message arrived on ${TOPIC_PREFIX}/# within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push((at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
