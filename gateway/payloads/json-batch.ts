/**
 * Batch JSON: one message per poll with every reported sample, on the device's batch topic.
 *
 * {"device":"plc1","ts":…,"tsMs":…,"tags":{"tank.level":{"value":2.5,"quality":"good","unit":"m"},…}}
 * A sample read at another time than the poll (an OPC UA source timestamp) carries its own `tsMs`.
 */
import { JsonBytes } from '../json-bytes.ts';
import type { EncoderOptions, PayloadEncoder } from './encoder.ts';
import {
  CLOSE,
  CLOSE_CLOSE,
  COMMA,
  isoCache,
  QUALITY_KEY,
  sampleWriter,
  TAGS_KEY,
  TS_MS_FIELD,
  TS_MS_KEY,
  unitFields,
  utf8,
} from './json-pieces.ts';
import { fillTopic } from './topics.ts';

export function createJsonBatchEncoder(options: EncoderOptions): PayloadEncoder {
  const units = unitFields(options.tags);
  // `"tank.level":{"value":` and `,"tank.level":{"value":` — a tag's entry in a batch.
  const keys = options.tags.map((tag) => utf8(`${JSON.stringify(tag.name)}:{"value":`));
  const nextKeys = keys.map((key) => Buffer.concat([COMMA, key]));
  const topic = fillTopic(options.batchTemplate, options.context);
  const head = utf8(`{"device":${JSON.stringify(options.context.device)},"ts":"`);
  const retain = options.retain ?? false;
  const isoOf = isoCache();
  const out = new JsonBytes();
  const { value, problems } = sampleWriter(out);
  return {
    encode(samples, tagIndex, ts) {
      out.bytes(head);
      out.bytes(isoOf(ts));
      out.bytes(TS_MS_KEY);
      out.number(ts);
      out.bytes(TAGS_KEY);
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const index = tagIndex[i]!;
        out.bytes(i === 0 ? keys[index]! : nextKeys[index]!);
        value(sample.value);
        out.bytes(QUALITY_KEY[sample.quality]);
        out.bytes(units[index]!);
        problems(sample);
        if (sample.ts !== ts) {
          out.bytes(TS_MS_FIELD);
          out.number(sample.ts);
        }
        out.bytes(CLOSE);
      }
      out.bytes(CLOSE_CLOSE);
      return [{ topic, payload: out.take(), qos: 1, retain }];
    },
  };
}
