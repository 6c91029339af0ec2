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
import type { TagSample, TagValue } from '../mappings/sample.ts';
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

/**
 * Payloads are written as strings from pieces prepared here, once per device: every key, tag name and
 * unit is JSON-escaped a single time, and the poll loop only appends values and timestamps. This is the
 * hottest code of a busy gateway (one call per tag per poll); a generic JSON.stringify of a fresh object
 * per tag cost several times more (bench/README.md). The output is byte-for-byte what JSON.stringify
 * gives for the payload objects described at the top of this file.
 */
export function createMessageBuilder(options: {
  readonly tags: readonly MessageTag[];
  readonly context: TopicContext;
  readonly topicTemplate: string;
  readonly batchTemplate: string;
  readonly retain?: boolean;
}): DeviceMessageBuilder {
  const topics = options.tags.map((tag) => fillTopic(options.topicTemplate, options.context, tag.name));
  // `,"unit":"°C"` or '' — appended after tsMs (per tag) or after quality (batch).
  const unitFields = options.tags.map((tag) =>
    tag.unit === undefined ? '' : `,"unit":${JSON.stringify(tag.unit)}`,
  );
  // `"tank.level":{"value":` — the start of a tag's entry in a batch.
  const batchKeys = options.tags.map((tag) => `${JSON.stringify(tag.name)}:{"value":`);
  const batchTopic = fillTopic(options.batchTemplate, options.context);
  const batchHead = `{"device":${JSON.stringify(options.context.device)},"ts":"`;
  const retain = options.retain ?? false;
  const isoOf = isoCache();

  return {
    perTag(samples, tagIndex) {
      const out: OutgoingMessage[] = new Array(samples.length);
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const index = tagIndex[i]!;
        const json =
          `{"value":${jsonValue(sample.value)},"quality":"${sample.quality}","ts":"${isoOf(sample.ts)}","tsMs":${sample.ts}` +
          `${unitFields[index]!}${problemFields(sample)}}`;
        out[i] = { topic: topics[index]!, payload: Buffer.from(json), qos: 1, retain };
      }
      return out;
    },
    batch(samples, tagIndex, ts) {
      let json = `${batchHead}${isoOf(ts)}","tsMs":${ts},"tags":{`;
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const index = tagIndex[i]!;
        json +=
          `${i === 0 ? '' : ','}${batchKeys[index]!}${jsonValue(sample.value)},"quality":"${sample.quality}"` +
          `${unitFields[index]!}${problemFields(sample)}${sample.ts === ts ? '' : `,"tsMs":${sample.ts}`}}`;
      }
      return { topic: batchTopic, payload: Buffer.from(`${json}}}`), qos: 1, retain };
    },
  };
}

/** JSON of a tag value, as JSON.stringify writes it (non-finite numbers become null). */
function jsonValue(value: TagValue | null): string {
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  return JSON.stringify(value);
}

/** `,"error":"…","code":2` for samples that are not good; '' otherwise. */
function problemFields(sample: TagSample): string {
  if (sample.error === undefined && sample.code === undefined) return '';
  const error = sample.error === undefined ? '' : `,"error":${JSON.stringify(sample.error)}`;
  return sample.code === undefined ? error : `${error},"code":${jsonValue(sample.code)}`;
}

/**
 * ISO 8601 of an epoch ms, remembering the last one: every sample of a poll shares its read time, so a
 * poll of 500 tags formats one date, not 500.
 */
function isoCache(): (ts: number) => string {
  let lastTs = Number.NaN;
  let lastIso = '';
  return (ts) => {
    if (ts !== lastTs) {
      lastIso = new Date(ts).toISOString();
      lastTs = ts;
    }
    return lastIso;
  };
}
