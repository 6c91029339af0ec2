/**
 * Per-tag JSON: one message per reported sample, on the tag's own topic.
 *
 * Good:     {"value":21.5,"quality":"good","ts":"2026-11-25T19:40:41.123Z","tsMs":1795635641123,"unit":"°C"}
 * Not good: {"value":null,"quality":"bad","ts":…,"tsMs":…,"error":"Modbus exception 02 …","code":2}
 * `ts` is ISO 8601 UTC (human-friendly), `tsMs` epoch milliseconds (cheap to compare); both are the time
 * of the read. The publisher adds `seq`, `boot` (and `historical` for backlog) in front (docs/delivery.md).
 */
import { JsonBytes } from '../json-bytes.ts';
import type { OutgoingMessage } from '../queue/queue.ts';
import type { EncoderOptions, PayloadEncoder } from './encoder.ts';
import {
  CLOSE,
  isoCache,
  QUALITY_KEY,
  sampleWriter,
  TS_KEY,
  TS_MS_KEY,
  unitFields,
  VALUE_HEAD,
} from './json-pieces.ts';
import { fillTopic } from './topics.ts';

export function createJsonPerTagEncoder(options: EncoderOptions): PayloadEncoder {
  const topics = options.tags.map((tag) => fillTopic(options.topicTemplate, options.context, tag.name));
  const units = unitFields(options.tags);
  const retain = options.retain ?? false;
  const isoOf = isoCache();
  const out = new JsonBytes();
  const { value, problems } = sampleWriter(out);
  return {
    encode(samples, tagIndex) {
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
        out.bytes(units[index]!);
        problems(sample);
        out.bytes(CLOSE);
        messages[i] = { topic: topics[index]!, payload: out.take(), qos: 1, retain };
      }
      return messages;
    },
  };
}
