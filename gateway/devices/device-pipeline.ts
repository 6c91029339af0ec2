/**
 * One device's whole northbound path, in the order a tag travels it:
 *
 *   compile   the mapping, once, for this device's config (registry.ts → the protocol's plugin)
 *   poll      the driver polls (or is notified) on its own schedule          (drivers/…)
 *   decode    its raw readings become TagSamples through the compiled mapping (the plugin's createDriver)
 *   report    report-by-exception keeps what is news                         (mappings/report.ts)
 *   encode    the device's payload format makes MQTT messages                (gateway/payloads/)
 *   queue     appended to the durable queue; the publisher takes it from there (gateway/queue/)
 *
 * Everything the poll path needs is built before the driver exists, so the driver's first reading finds
 * a complete pipeline: no callback is bound late, nothing is parsed or looked up per poll.
 */
import type { ConnectionState, Driver } from '../../core/driver.ts';
import type { TagReading, TagSample } from '../../core/sample.ts';
import { ReportByException } from '../../mappings/report.ts';
import type { LoadedDevice } from '../config/load.ts';
import type { Logger } from '../log.ts';
import { createEncoder, type PayloadEncoder, payloadFormatOf } from '../payloads/encoder.ts';
import type { TopicContext } from '../payloads/topics.ts';
import type { MessageQueue } from '../queue/queue.ts';
import type { DeviceContext } from './device-plugin.ts';
import { compileDevice } from './registry.ts';

export interface DevicePipelineOptions {
  /** The device's config with its mapping, as loaded and validated. */
  readonly device: LoadedDevice;
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

/** What a started pipeline holds between polls. */
interface Stages {
  readonly report: ReportByException;
  readonly encoder: PayloadEncoder;
  /** Scratch for report.filter: the tag index of each reported sample. */
  readonly index: number[];
}

export class DevicePipeline {
  readonly #options: DevicePipelineOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #driver: Driver | undefined;
  #state: ConnectionState = 'connecting';
  #lastError: string | undefined;
  #polls = 0;
  #published = 0;
  #enqueueErrors = 0;
  #latest: (TagSample | undefined)[] = [];
  #tagNames: string[] = [];

  constructor(options: DevicePipelineOptions) {
    this.#options = options;
    this.#log = options.log.child({ device: options.device.config.name });
    this.#now = options.now ?? Date.now;
  }

  get name(): string {
    return this.#options.device.config.name;
  }

  async start(): Promise<void> {
    const { device, topics, context } = this.#options;
    const { config } = device;
    // compile
    const compiled = await compileDevice(device, this.#log, context);
    this.#tagNames = compiled.tags.map((tag) => tag.name);
    this.#latest = compiled.tags.map(() => undefined);
    // report and encode: built once, before any reading can arrive
    const stages: Stages = {
      report: new ReportByException(
        compiled.tags.map((tag) => tag.publish),
        config.staleAfterMs ?? compiled.defaultStaleAfterMs,
        this.#now(),
      ),
      encoder: createEncoder(payloadFormatOf(config), {
        tags: compiled.tags,
        context: topics.context,
        topicTemplate: topics.tagTemplate,
        batchTemplate: topics.batchTemplate,
      }),
      index: [],
    };
    // poll and decode: the driver hands over each reading decoded
    this.#driver = compiled.createDriver({
      onSamples: (samples, ts) => this.#onSamples(stages, samples, ts),
      onConnectionState: (state, reason) => this.#onConnectionState(state, reason),
    });
    await this.#driver.start();
    this.#log.info({ tags: compiled.tags.length }, 'device started (%s)', config.driver);
  }

  async stop(): Promise<void> {
    await this.#driver?.stop();
  }

  status(): DeviceStatus {
    return {
      name: this.name,
      driver: this.#options.device.config.driver,
      state: this.#state,
      lastError: this.#lastError,
      polls: this.#polls,
      published: this.#published,
      enqueueErrors: this.#enqueueErrors,
      tagNames: this.#tagNames,
      tags: this.#latest,
    };
  }

  /** One decoded reading: report → encode → queue. The hot path of the gateway. */
  #onSamples({ report, encoder, index }: Stages, samples: TagReading, ts: number): void {
    this.#polls++;
    this.#options.onPoll?.(this.name, this.#now() - ts, samples);
    // report
    index.length = 0;
    const changed = report.filter(samples, this.#now(), index);
    for (let i = 0; i < changed.length; i++) this.#latest[index[i]!] = changed[i];
    if (changed.length === 0) return;
    // encode
    const messages = encoder.encode(changed, index, ts);
    this.#published += messages.length;
    // queue. Not awaited: a poll never waits for the disk. When the queue cannot take the messages (disk
    // full, or back-pressure once queue.maxPendingBytes are waiting to be written) they are lost, their
    // seqs skipped; the queue counts them by reason and logs once per burst (docs/queue.md, "Bounds").
    // Their tags are reported again at the next poll, changed or not, so the current value is not left
    // waiting for a change. `index` is scratch: copied for the callback.
    const lostTags = index.slice();
    this.#options.queue.append(messages).catch(() => {
      this.#enqueueErrors += messages.length;
      report.forget(lostTags);
    });
  }

  #onConnectionState(state: ConnectionState, reason?: string): void {
    this.#state = state;
    if (reason !== undefined) this.#lastError = reason;
  }
}
