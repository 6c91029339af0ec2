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
import type { TagSample, TagValue } from '../core/sample.ts';
import { JsonBytes } from './json-bytes.ts';
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
 * Payloads are written as bytes from pieces prepared here, once per device: every key, tag name and unit
 * is JSON-escaped and UTF-8-encoded a single time, and the poll loop only appends values and timestamps
 * (gateway/json-bytes.ts). This is the hottest code of a busy gateway (one call per tag per poll); a
 * JSON.stringify of a fresh object per tag cost several times more, and so did building the text as a
 * string first (bench/README.md). The output is byte-for-byte what JSON.stringify gives for the payload
 * objects described at the top of this file (tested against it).
 */
export function createMessageBuilder(options: {
  readonly tags: readonly MessageTag[];
  readonly context: TopicContext;
  readonly topicTemplate: string;
  readonly batchTemplate: string;
  readonly retain?: boolean;
}): DeviceMessageBuilder {
  const topics = options.tags.map((tag) => fillTopic(options.topicTemplate, options.context, tag.name));
  // `,"unit":"°C"` or nothing — after tsMs (per tag) or after quality (batch).
  const unitFields = options.tags.map((tag) =>
    tag.unit === undefined ? EMPTY : utf8(`,"unit":${JSON.stringify(tag.unit)}`),
  );
  // `"tank.level":{"value":` and `,"tank.level":{"value":` — a tag's entry in a batch.
  const batchKeys = options.tags.map((tag) => utf8(`${JSON.stringify(tag.name)}:{"value":`));
  const nextBatchKeys = batchKeys.map((key) => Buffer.concat([COMMA, key]));
  const batchTopic = fillTopic(options.batchTemplate, options.context);
  const batchHead = utf8(`{"device":${JSON.stringify(options.context.device)},"ts":"`);
  const retain = options.retain ?? false;
  const isoOf = isoCache();
  const out = new JsonBytes();

  const value = (v: TagValue | null) => {
    if (typeof v === 'number') out.number(v);
    else if (typeof v === 'boolean') out.bytes(v ? TRUE : FALSE);
    else if (v === null) out.bytes(NULL);
    else out.text(JSON.stringify(v));
  };
  const problems = (sample: TagSample) => {
    if (sample.error !== undefined) {
      out.bytes(ERROR_KEY);
      out.text(JSON.stringify(sample.error));
    }
    if (sample.code !== undefined) {
      out.bytes(CODE_KEY);
      out.number(sample.code);
    }
  };

  return {
    perTag(samples, tagIndex) {
      const messages: OutgoingMessage[] = new Array(samples.length);
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const index = tagIndex[i]!;
        out.bytes(VALUE_HEAD);
        value(sample.value);
        out.bytes(QUALITY_KEY[sample.quality]);
        out.bytes(TS_KEY);
        out.bytes(isoOf(sample.ts));
        out.bytes(TS_MS_KEY);
        out.number(sample.ts);
        out.bytes(unitFields[index]!);
        problems(sample);
        out.bytes(CLOSE);
        messages[i] = { topic: topics[index]!, payload: out.take(), qos: 1, retain };
      }
      return messages;
    },
    batch(samples, tagIndex, ts) {
      out.bytes(batchHead);
      out.bytes(isoOf(ts));
      out.bytes(TS_MS_KEY);
      out.number(ts);
      out.bytes(TAGS_KEY);
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const index = tagIndex[i]!;
        out.bytes(i === 0 ? batchKeys[index]! : nextBatchKeys[index]!);
        value(sample.value);
        out.bytes(QUALITY_KEY[sample.quality]);
        out.bytes(unitFields[index]!);
        problems(sample);
        if (sample.ts !== ts) {
          out.bytes(TS_MS_FIELD);
          out.number(sample.ts);
        }
        out.bytes(CLOSE);
      }
      out.bytes(CLOSE_CLOSE);
      return { topic: batchTopic, payload: out.take(), qos: 1, retain };
    },
  };
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const EMPTY = Buffer.alloc(0);
const COMMA = utf8(',');
const VALUE_HEAD = utf8('{"value":');
const QUALITY_KEY: Readonly<Record<TagSample['quality'], Buffer>> = {
  good: utf8(',"quality":"good"'),
  bad: utf8(',"quality":"bad"'),
  stale: utf8(',"quality":"stale"'),
};
const TS_KEY = utf8(',"ts":"');
const TS_MS_KEY = utf8('","tsMs":');
const TS_MS_FIELD = utf8(',"tsMs":');
const TAGS_KEY = utf8(',"tags":{');
const ERROR_KEY = utf8(',"error":');
const CODE_KEY = utf8(',"code":');
const TRUE = utf8('true');
const FALSE = utf8('false');
const NULL = utf8('null');
const CLOSE = utf8('}');
const CLOSE_CLOSE = utf8('}}');

/**
 * ISO 8601 of an epoch ms as bytes, remembering the last one: every sample of a poll shares its read
 * time, so a poll of 500 tags formats one date, not 500.
 */
function isoCache(): (ts: number) => Buffer {
  let lastTs = Number.NaN;
  let lastIso: Buffer = EMPTY;
  return (ts) => {
    if (ts !== lastTs) {
      lastIso = utf8(new Date(ts).toISOString());
      lastTs = ts;
    }
    return lastIso;
  };
}
