/**
 * The northbound publisher: reads messages from the durable queue, publishes them with QoS 1, and acks
 * them in the queue only on PUBACK. At-least-once: duplicates are possible after a reconnect, loss is not.
 *
 * Why one MQTT.js client per connection, with MQTT.js's own reconnect off (`reconnectPeriod: 0`):
 * MQTT.js keeps unacknowledged QoS 1 messages in an in-memory store and replays them itself on
 * reconnect, and its callbacks may never fire for a connection that died. Two owners of "what is in
 * flight" is how messages get lost or reordered. Here the queue is the only owner: when a connection
 * ends (close, publish timeout, transient negative PUBACK) the client is thrown away with its store,
 * our in-flight set is forgotten, and the next connection reads again from the oldest unacknowledged
 * seq. Reconnects are driven by gateway/backoff.ts (jittered exponential), not MQTT.js's fixed period.
 *
 * Order: messages are published in seq order on one connection and a new connection starts again from
 * the oldest unacknowledged one, so each topic sees its messages in order (duplicates aside).
 *
 * The parts: the connection supervisor (connection-supervisor.ts: connect, backoff, reconnect, status
 * messages), the in-flight window (inflight-window.ts: PUBACK accounting, timeouts) and the lanes
 * (lane-pump.ts: live and backlog, the replay limiter).
 */
import type { Logger } from '../log.ts';
import type { MessageQueue } from '../queue/queue.ts';
import { AckBatcher } from './ack-batcher.ts';
import { ConnectionSupervisor } from './connection-supervisor.ts';
import { InflightWindow, type PublishCounters } from './inflight-window.ts';
import { LanePump } from './lane-pump.ts';
import { type PublisherOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import type { Publisher, PublisherMetrics, PublisherStateListener } from './publisher.ts';
import { redactUrls } from './redact-url.ts';
import { RejectionReporter } from './rejection-reporter.ts';
import { ReplayLimiter } from './replay-limiter.ts';

export type { PublisherOptions, PublisherTlsOptions } from './options.ts';
export type { Publisher, PublisherMetrics, PublisherState, PublisherStateListener } from './publisher.ts';

export function createPublisher(options: PublisherOptions, queue: MessageQueue, log: Logger): Publisher {
  return new MqttPublisher(resolveOptions(options), queue, log.child({ component: 'mqtt' }));
}

class MqttPublisher implements Publisher {
  readonly #options: ResolvedOptions;
  readonly #queue: MessageQueue;
  readonly #log: Logger;
  readonly #acks: AckBatcher;
  readonly #rejections: RejectionReporter;
  readonly #counters: PublishCounters = {
    published: 0,
    acknowledged: 0,
    resent: 0,
    replayed: 0,
    rejected: 0,
    reconnects: 0,
  };
  readonly #window: InflightWindow;
  readonly #lanes: LanePump;
  readonly #supervisor: ConnectionSupervisor;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ResolvedOptions, queue: MessageQueue, log: Logger) {
    this.#options = options;
    this.#queue = queue;
    this.#log = log;
    this.#acks = new AckBatcher(queue, log, options.ackBatchMs, options.clock);
    this.#rejections = new RejectionReporter(log, options.rejectionLogIntervalMs, options.rejectionTimers);
    const limiter =
      options.replayRatePerSecond === undefined
        ? undefined
        : new ReplayLimiter(options.replayRatePerSecond, () => options.clock.now());
    // The window ends connections and asks for more through the supervisor and the lanes made below.
    this.#window = new InflightWindow(
      options,
      redactUrls(options.url),
      this.#counters,
      { acks: this.#acks, rejections: this.#rejections },
      {
        end: (session, error) => this.#supervisor.end(session, error),
        pump: (session) => void this.#lanes.pump(session),
      },
    );
    this.#lanes = new LanePump(
      queue,
      log,
      limiter,
      this.#window,
      options.clock,
      () => this.#supervisor.running,
    );
    this.#supervisor = new ConnectionSupervisor(options, queue, log, this.#counters, {
      acks: this.#acks,
      window: this.#window,
      lanes: this.#lanes,
    });
  }

  async start(): Promise<void> {
    if (this.#supervisor.running) return;
    await this.#supervisor.start(() => {
      this.#lanes.started();
      this.#unsubscribe = this.#queue.onAppend(() => {
        const session = this.#supervisor.session;
        if (session?.ready === true) void this.#lanes.pump(session);
      });
    });
  }

  async stop(options: { readonly drainMs?: number } = {}): Promise<void> {
    if (!this.#supervisor.running) return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#supervisor.disconnect(options.drainMs ?? 2000);
    await this.#acks.flush();
    this.#acks.cancel();
    this.#rejections.close();
    this.#supervisor.emit('stopped');
    this.#log.info(this.#counters, 'MQTT publisher stopped');
  }

  metrics(): PublisherMetrics {
    const session = this.#supervisor.session;
    return {
      ...this.#counters,
      inflight: session?.inflight.size ?? 0,
      peakInflight: this.#window.peak,
      window: session?.window ?? this.#options.inflight,
      connected: session?.active === true,
      lastError: this.#supervisor.lastError,
    };
  }

  onState(listener: PublisherStateListener): () => void {
    return this.#supervisor.onState(listener);
  }
}
