/**
 * /metrics: the gateway's Prometheus metrics on a Registry of its own (prom-client's global default
 * registry would be shared mutable module state). Poll durations and errors are counted as they happen
 * (observePoll, from the DevicePipeline hook); everything else is read from Gateway.status() at scrape time,
 * so the hot path pays for nothing but a histogram observation.
 */
import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { pollErrorKinds } from '../../core/error-kinds.ts';
import type { TagReading } from '../../core/sample.ts';
import type { GatewayStatus } from '../gateway.ts';

export interface GatewayMetricsOptions {
  readonly status: () => GatewayStatus;
  readonly version: string;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #pollDuration: Histogram<'device'>;
  readonly #polls: Counter<'device'>;
  readonly #errors: Counter<'device' | 'kind'>;
  readonly #perDevice = new Map<
    string,
    { readonly duration: Histogram.Internal<'device'>; readonly polls: Counter.Internal }
  >();
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(options: GatewayMetricsOptions) {
    const registers = [this.registry];
    const status = options.status;
    const now = options.now ?? Date.now;
    this.#pollDuration = new Histogram({
      name: 'fieldbridge_device_poll_duration_seconds',
      help: 'Time from the start of a poll to its decoded samples.',
      labelNames: ['device'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#polls = new Counter({
      name: 'fieldbridge_device_polls_total',
      help: 'Completed polls (with good or bad tags).',
      labelNames: ['device'],
      registers,
    });
    this.#errors = new Counter({
      name: 'fieldbridge_device_errors_total',
      help: 'Polls with at least one bad tag, by error kind (exception, timeout, connection, decode, other).',
      labelNames: ['device', 'kind'],
      registers,
    });
    registerBuildAndDevices(registers, options.version, status);
    registerQueueGauges(registers, status, now);
    registerMqttMetrics(registers, status);
    registerLossMetrics(registers, status);
    registerEventLoopLag(registers, this.#loopDelay);
  }

  /** Starts sampling the event loop delay (stop() ends it). */
  start(): void {
    this.#loopDelay.enable();
  }

  stop(): void {
    this.#loopDelay.disable();
  }

  /** DevicePipeline's onPoll hook. */
  observePoll(device: string, durationMs: number, samples: TagReading): void {
    // Label children are cached per device: prom-client would otherwise hash the label object on every
    // poll (thousands per second on a busy gateway).
    let children = this.#perDevice.get(device);
    if (children === undefined) {
      children = { duration: this.#pollDuration.labels({ device }), polls: this.#polls.labels({ device }) };
      this.#perDevice.set(device, children);
    }
    children.duration.observe(Math.max(0, durationMs) / 1000);
    children.polls.inc();
    for (const kind of pollErrorKinds(samples)) this.#errors.inc({ device, kind });
  }

  /** The text exposition and its content type. */
  async render(): Promise<{ readonly body: string; readonly contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** Build info, and per device its connection and its tags by quality. */
function registerBuildAndDevices(registers: Registry[], version: string, status: () => GatewayStatus): void {
  new Gauge({
    name: 'fieldbridge_build_info',
    help: 'Always 1; the labels say which build runs.',
    labelNames: ['version', 'node'],
    registers,
  }).set({ version: version, node: process.version }, 1);
  new Gauge({
    name: 'fieldbridge_device_connected',
    help: '1 when the device connection is up.',
    labelNames: ['device'],
    registers,
    collect() {
      this.reset();
      for (const d of status().devices) this.set({ device: d.name }, d.state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'fieldbridge_tags',
    help: 'Tags by quality of their latest sample.',
    labelNames: ['device', 'quality'],
    registers,
    collect() {
      this.reset();
      for (const d of status().devices) {
        const counts = { good: 0, bad: 0, stale: 0 };
        for (const tag of d.tags) if (tag !== undefined) counts[tag.quality]++;
        for (const [quality, n] of Object.entries(counts)) this.set({ device: d.name, quality }, n);
      }
    },
  });
}

/** The queue's depth, size, oldest message and health. */
function registerQueueGauges(registers: Registry[], status: () => GatewayStatus, now: () => number): void {
  queueGauge(
    registers,
    status,
    'fieldbridge_queue_depth_messages',
    'Messages stored, not yet acknowledged.',
    (q) => q.depth,
  );
  queueGauge(
    registers,
    status,
    'fieldbridge_queue_bytes',
    'Approximate bytes the stored messages take.',
    (q) => q.bytes,
  );
  queueGauge(
    registers,
    status,
    'fieldbridge_queue_oldest_age_seconds',
    'Age of the oldest stored message (0 if none).',
    (q) => (q.oldestEnqueuedAt === undefined ? 0 : Math.max(0, (now() - q.oldestEnqueuedAt) / 1000)),
  );
  queueGauge(
    registers,
    status,
    'fieldbridge_queue_degraded',
    '1 while queue writes fail (e.g. disk full).',
    (q) => (q.degraded ? 1 : 0),
  );
}

/** The broker connection and the publisher's counts. */
function registerMqttMetrics(registers: Registry[], status: () => GatewayStatus): void {
  const mqttGauge = (name: string, help: string, read: (p: GatewayStatus['publisher']) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(status().publisher));
      },
    });
  mqttGauge('fieldbridge_mqtt_connected', '1 while connected to the broker.', (p) => (p.connected ? 1 : 0));
  mqttGauge('fieldbridge_mqtt_inflight_messages', 'Published, PUBACK pending.', (p) => p.inflight);
  const total = (name: string, help: string, read: (s: GatewayStatus) => number) =>
    statusTotal(registers, status, name, help, read);
  total(
    'fieldbridge_mqtt_published_total',
    'PUBLISH packets sent (resends included).',
    (s) => s.publisher.published,
  );
  total('fieldbridge_mqtt_acknowledged_total', 'PUBACKs received.', (s) => s.publisher.acknowledged);
  total(
    'fieldbridge_mqtt_replayed_total',
    'Messages sent as historical backlog.',
    (s) => s.publisher.replayed,
  );
  total(
    'fieldbridge_mqtt_resent_total',
    'Messages published again after a reconnect.',
    (s) => s.publisher.resent,
  );
  total(
    'fieldbridge_mqtt_rejected_total',
    'Messages the broker refused for good.',
    (s) => s.publisher.rejected,
  );
  total('fieldbridge_mqtt_reconnects_total', 'Successful reconnections.', (s) => s.publisher.reconnects);
}

/** What did not reach the broker: dropped, not queued, damaged store. */
function registerLossMetrics(registers: Registry[], status: () => GatewayStatus): void {
  const total = (name: string, help: string, read: (s: GatewayStatus) => number) =>
    statusTotal(registers, status, name, help, read);
  total('fieldbridge_queue_dropped_total', 'Messages dropped by the queue bounds.', (s) => s.queue.dropped);
  labelledCounter(
    'fieldbridge_queue_not_queued_total',
    'Messages the queue did not store (lost, their seqs skipped), by reason: write_failed (disk full, I/O error), back_pressure (writes too far behind).',
    'reason',
    registers,
    () => Object.entries(status().queue.notQueued),
  );
  labelledCounter(
    'fieldbridge_device_not_queued_total',
    'Messages of a device that the queue did not take, whatever the reason.',
    'device',
    registers,
    () => status().devices.map((d) => [d.name, d.enqueueErrors] as const),
  );
  queueGauge(
    registers,
    status,
    'fieldbridge_queue_pending_bytes',
    'Bytes accepted and not yet written (bounded by queue.maxPendingBytes).',
    (q) => q.pendingBytes,
  );
  total(
    'fieldbridge_queue_store_damaged_total',
    '1 when the queue store was found damaged at this start (moved aside and salvaged, or messages missing).',
    (s) => (s.queue.storeDamage === undefined ? 0 : 1),
  );
  total(
    'fieldbridge_queue_store_lost_total',
    'Messages stored at the last clean stop that the open of a damaged store did not find (lost).',
    (s) => s.queue.storeDamage?.lostMessages ?? 0,
  );
}

/** Event loop delay since the previous scrape. */
function registerEventLoopLag(registers: Registry[], loopDelay: ELDHistogram): void {
  new Gauge({
    name: 'fieldbridge_event_loop_lag_seconds',
    help: 'Event loop delay since the previous scrape (mean, p99, max).',
    labelNames: ['stat'],
    registers,
    collect() {
      const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      this.set({ stat: 'mean' }, seconds(loopDelay.mean));
      this.set({ stat: 'p99' }, seconds(loopDelay.percentile(99)));
      this.set({ stat: 'max' }, seconds(loopDelay.max));
      loopDelay.reset();
    },
  });
}

/** A gauge read from the queue's stats at scrape time. */
function queueGauge(
  registers: Registry[],
  status: () => GatewayStatus,
  name: string,
  help: string,
  read: (q: GatewayStatus['queue']) => number,
): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read(status().queue));
    },
  });
}

/** A monotonic counter read from the gateway's status at scrape time. */
function statusTotal(
  registers: Registry[],
  status: () => GatewayStatus,
  name: string,
  help: string,
  read: (s: GatewayStatus) => number,
): void {
  monotonicCounter(name, help, registers, () => read(status()));
}

/** A Prometheus counter that follows a cumulative number kept elsewhere (read at scrape time). */
function monotonicCounter(name: string, help: string, registers: Registry[], read: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers,
    collect() {
      const value = read();
      // The source only grows while the process lives; guard anyway so a reset never throws.
      if (value > seen) this.inc(value - seen);
      seen = Math.max(seen, value);
    },
  });
}

/** Like monotonicCounter, one child per label value (reasons, devices). */
function labelledCounter(
  name: string,
  help: string,
  label: string,
  registers: Registry[],
  read: () => Iterable<readonly [string, number]>,
): Counter {
  const seen = new Map<string, number>();
  return new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [value, count] of read()) {
        const before = seen.get(value) ?? 0;
        // Every known label value is exported, 0 included, so an alert can watch it before the first loss.
        this.inc({ [label]: value }, Math.max(0, count - before));
        seen.set(value, Math.max(before, count));
      }
    },
  });
}
