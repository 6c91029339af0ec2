/**
 * Runs one device: driver readings → mapping (TagSamples) → report-by-exception → MQTT messages → queue.
 * This is the whole northbound path of a tag; the publisher takes it from the queue.
 */
import type { ConnectionState } from '../../core/driver.ts';
import { ReportByException } from '../../mappings/report.ts';
import type { TagReading, TagSample } from '../../core/sample.ts';
import type { DeviceConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { createMessageBuilder, type TopicContext } from '../messages.ts';
import type { MessageQueue } from '../queue/queue.ts';
import type { DeviceContext, DeviceInstance } from './device-plugin.ts';
import { loadDevicePlugin } from './registry.ts';

export interface DeviceRunnerOptions {
  readonly device: DeviceConfig;
  readonly mapping: unknown;
  readonly queue: MessageQueue;
  readonly log: Logger;
  readonly topics: {
    readonly context: TopicContext;
    readonly tagTemplate: string;
    readonly batchTemplate: string;
  };
  /** Clock, injectable for tests. */
  readonly now?: () => number;
  /** Handed to the device plugin (OPC UA keeps its certificates in the state directory). */
  readonly context?: DeviceContext;
  /** Called after every poll with its duration (from the reading's start) and samples: /metrics uses it. */
  readonly onPoll?: (device: string, durationMs: number, samples: TagReading) => void;
}

export interface DeviceStatus {
  readonly name: string;
  readonly driver: string;
  readonly state: ConnectionState;
  readonly lastError: string | undefined;
  readonly polls: number;
  readonly published: number;
  /** Messages the queue did not take (lost): /metrics `fieldbridge_device_not_queued_total`. */
  readonly enqueueErrors: number;
  /** Every tag's name, in mapping order. */
  readonly tagNames: readonly string[];
  /** Latest sample of every tag, index-aligned with tagNames (undefined until first read). */
  readonly tags: readonly (TagSample | undefined)[];
}

export class DeviceRunner {
  readonly #options: DeviceRunnerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #instance: DeviceInstance | undefined;
  #state: ConnectionState = 'connecting';
  #lastError: string | undefined;
  #polls = 0;
  #published = 0;
  #enqueueErrors = 0;
  #latest: (TagSample | undefined)[] = [];
  #tagNames: string[] = [];

  constructor(options: DeviceRunnerOptions) {
    this.#options = options;
    this.#log = options.log.child({ device: options.device.name });
    this.#now = options.now ?? Date.now;
  }

  get name(): string {
    return this.#options.device.name;
  }

  async start(): Promise<void> {
    const { device, mapping, queue, topics } = this.#options;
    const plugin = await loadDevicePlugin(device);
    let onSamples: (samples: TagReading, ts: number) => void = () => {};
    const instance = plugin.create(
      device,
      mapping,
      this.#log,
      {
        onSamples: (samples, ts) => onSamples(samples, ts),
        onConnectionState: (state, reason) => this.#onConnectionState(state, reason),
      },
      this.#options.context,
    );
    this.#instance = instance;
    this.#latest = instance.tags.map(() => undefined);
    this.#tagNames = instance.tags.map((tag) => tag.name);

    const report = new ReportByException(
      instance.tags.map((tag) => tag.publish),
      device.staleAfterMs ?? instance.defaultStaleAfterMs,
      this.#now(),
    );
    const builder = createMessageBuilder({
      tags: instance.tags,
      context: topics.context,
      topicTemplate: topics.tagTemplate,
      batchTemplate: topics.batchTemplate,
    });
    const batch = device.batch === true;
    const index: number[] = [];

    const onPoll = this.#options.onPoll;
    onSamples = (samples, ts) => {
      this.#polls++;
      onPoll?.(device.name, this.#now() - ts, samples);
      index.length = 0;
      const changed = report.filter(samples, this.#now(), index);
      for (let i = 0; i < changed.length; i++) this.#latest[index[i]!] = changed[i];
      if (changed.length === 0) return;
      const messages = batch ? [builder.batch(changed, index, ts)] : builder.perTag(changed, index);
      this.#published += messages.length;
      // Not awaited: a poll never waits for the disk. When the queue cannot take the messages (disk full,
      // or back-pressure once queue.maxPendingBytes are waiting to be written) they are lost, their seqs
      // skipped; the queue counts them by reason and logs once per burst (docs/queue.md, "Bounds").
      queue.append(messages).catch(() => {
        this.#enqueueErrors += messages.length;
      });
    };
    await instance.driver.start();
    this.#log.info({ tags: instance.tags.length }, 'device started (%s)', device.driver);
  }

  async stop(): Promise<void> {
    await this.#instance?.driver.stop();
  }

  status(): DeviceStatus {
    return {
      name: this.#options.device.name,
      driver: this.#options.device.driver,
      state: this.#state,
      lastError: this.#lastError,
      polls: this.#polls,
      published: this.#published,
      enqueueErrors: this.#enqueueErrors,
      tagNames: this.#tagNames,
      tags: this.#latest,
    };
  }

  #onConnectionState(state: ConnectionState, reason?: string): void {
    this.#state = state;
    if (reason !== undefined) this.#lastError = reason;
  }
}
