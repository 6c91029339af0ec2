/**
 * Northbound encoding: how a device's reported samples become MQTT messages. The format is chosen once
 * per device when its pipeline starts (`createEncoder`), so the poll path calls one `encode` and never
 * branches on the format. A new format (Sparkplug B) is one more file implementing PayloadEncoder and one
 * more entry in ENCODERS.
 */
import type { TagSample } from '../../core/sample.ts';
import type { OutgoingMessage } from '../queue/queue.ts';
import { createJsonBatchEncoder } from './json-batch.ts';
import { createJsonPerTagEncoder } from './json-per-tag.ts';
import type { TopicContext } from './topics.ts';

export interface PayloadEncoder {
  /**
   * The messages for one poll's reported samples. `tagIndex[i]` is the tag (index into the device's
   * tags) of samples[i]; `ts` is the poll's read time. Called only with at least one sample.
   */
  encode(samples: readonly TagSample[], tagIndex: readonly number[], ts: number): OutgoingMessage[];
}

export interface EncoderTag {
  readonly name: string;
  readonly unit?: string | undefined;
}

export interface EncoderOptions {
  readonly tags: readonly EncoderTag[];
  readonly context: TopicContext;
  /** Topic of a tag's message, e.g. "{prefix}/{device}/{tag}". */
  readonly topicTemplate: string;
  /** Topic of a device's batch message, e.g. "{prefix}/{device}". */
  readonly batchTemplate: string;
  readonly retain?: boolean;
}

export type PayloadFormat = 'json-per-tag' | 'json-batch';

const ENCODERS: Readonly<Record<PayloadFormat, (options: EncoderOptions) => PayloadEncoder>> = {
  'json-per-tag': createJsonPerTagEncoder,
  'json-batch': createJsonBatchEncoder,
};

/** The format a device's config asks for: `batch: true` is one message per poll. */
export function payloadFormatOf(device: { readonly batch?: boolean | undefined }): PayloadFormat {
  return device.batch === true ? 'json-batch' : 'json-per-tag';
}

export function createEncoder(format: PayloadFormat, options: EncoderOptions): PayloadEncoder {
  return ENCODERS[format](options);
}
