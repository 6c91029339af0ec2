/**
 * Turns TagSamples into MQTT messages: topic templates are compiled once per device, so the hot path only
 * concatenates precomputed topic strings and serialises one small object per message.
 *
 * Per-tag payload:  {"value":21.5,"quality":"good","ts":"2026-11-25T19:40:41.123Z","tsMs":1795635641123,"unit":"°C"}
 * Not good:         {"value":null,"quality":"bad","ts":…,"tsMs":…,"error":"Modbus exception 02 …","code":2}
 * Batch (per poll): {"device":"plc1","ts":…,"tsMs":…,"tags":{"tank.level":{"value":2.5,"quality":"good","unit":"m"},…}}
 * `ts` is ISO 8601 UTC (human-friendly), `tsMs` epoch milliseconds (cheap to compare); both are the time
 * of the read. The publisher adds `seq`, `boot` (and `historical` for backlog) in front (docs/delivery.md).
 */
import type { TagSample } from '../mappings/sample.ts';
import type { OutgoingMessage } from './queue/queue.ts';

export interface TopicContext {
  readonly prefix: string;
  readonly gateway: string;
  readonly device: string;
}

export interface MessageTag {
  readonly name: string;
  readonly unit?: string | undefined;
}

const PLACEHOLDER = /\{(prefix|gateway|device|tag)\}/g;

/** Fills {prefix} {gateway} {device} {tag} in a topic template. Unknown placeholders stay as they are. */
export function fillTopic(template: string, context: TopicContext, tag = ''): string {
  return template.replace(PLACEHOLDER, (_, key: string) =>
    key === 'tag' ? tag : context[key as keyof TopicContext],
  );
}

export interface DeviceMessageBuilder {
  /** Per-tag mode: one message per sample. `tagIndex[i]` is the tag of samples[i]. */
  perTag(samples: readonly TagSample[], tagIndex: readonly number[]): OutgoingMessage[];
  /** Batch mode: one message with every sample of a poll. */
  batch(samples: readonly TagSample[], tagIndex: readonly number[], ts: number): OutgoingMessage;
}

export function createMessageBuilder(options: {
  readonly tags: readonly MessageTag[];
  readonly context: TopicContext;
  readonly topicTemplate: string;
  readonly batchTemplate: string;
  readonly retain?: boolean;
}): DeviceMessageBuilder {
  const topics = options.tags.map((tag) => fillTopic(options.topicTemplate, options.context, tag.name));
  const units = options.tags.map((tag) => tag.unit);
  const batchTopic = fillTopic(options.batchTemplate, options.context);
  const retain = options.retain ?? false;
  const device = options.context.device;

  return {
    perTag(samples, tagIndex) {
      const out: OutgoingMessage[] = new Array(samples.length);
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const index = tagIndex[i]!;
        out[i] = {
          topic: topics[index]!,
          payload: Buffer.from(JSON.stringify(tagPayload(sample, units[index]))),
          qos: 1,
          retain,
        };
      }
      return out;
    },
    batch(samples, tagIndex, ts) {
      const tags: Record<string, unknown> = {};
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const { ts: _ts, tsMs: _tsMs, ...rest } = tagPayload(sample, units[tagIndex[i]!]);
        tags[sample.tag] = sample.ts === ts ? rest : { ...rest, tsMs: sample.ts };
      }
      const payload = { device, ts: new Date(ts).toISOString(), tsMs: ts, tags };
      return { topic: batchTopic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain };
    },
  };
}

interface TagPayload {
  value: TagSample['value'];
  quality: TagSample['quality'];
  ts: string;
  tsMs: number;
  unit?: string;
  error?: string;
  code?: number;
}

function tagPayload(sample: TagSample, unit: string | undefined): TagPayload {
  const payload: TagPayload = {
    value: sample.value,
    quality: sample.quality,
    ts: new Date(sample.ts).toISOString(),
    tsMs: sample.ts,
  };
  if (unit !== undefined) payload.unit = unit;
  if (sample.error !== undefined) payload.error = sample.error;
  if (sample.code !== undefined) payload.code = sample.code;
  return payload;
}
