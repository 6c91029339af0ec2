/**
 * What the two JSON formats share (json-per-tag.ts, json-batch.ts). Payloads are written as bytes from
 * pieces prepared once per device: every key, tag name and unit is JSON-escaped and UTF-8-encoded a single
 * time, and the poll loop only appends values and timestamps (gateway/json-bytes.ts). This is the hottest
 * code of a busy gateway (one call per tag per poll); a JSON.stringify of a fresh object per tag cost
 * several times more, and so did building the text as a string first (bench/README.md). The output is
 * byte-for-byte what JSON.stringify gives for the documented payload objects (tested against it).
 */
import type { TagSample, TagValue } from '../../core/sample.ts';
import type { JsonBytes } from '../json-bytes.ts';
import type { EncoderTag } from './encoder.ts';

export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
export const EMPTY = Buffer.alloc(0);
export const COMMA = utf8(',');
export const VALUE_HEAD = utf8('{"value":');
export const QUALITY_KEY: Readonly<Record<TagSample['quality'], Buffer>> = {
  good: utf8(',"quality":"good"'),
  bad: utf8(',"quality":"bad"'),
  stale: utf8(',"quality":"stale"'),
};
export const TS_KEY = utf8(',"ts":"');
export const TS_MS_KEY = utf8('","tsMs":');
export const TS_MS_FIELD = utf8(',"tsMs":');
export const TAGS_KEY = utf8(',"tags":{');
const ERROR_KEY = utf8(',"error":');
const CODE_KEY = utf8(',"code":');
const TRUE = utf8('true');
const FALSE = utf8('false');
const NULL = utf8('null');
export const CLOSE = utf8('}');
export const CLOSE_CLOSE = utf8('}}');

/** `,"unit":"°C"` or nothing, per tag. */
export function unitFields(tags: readonly EncoderTag[]): Buffer[] {
  return tags.map((tag) => (tag.unit === undefined ? EMPTY : utf8(`,"unit":${JSON.stringify(tag.unit)}`)));
}

export interface SampleWriter {
  /** The value: number, boolean, null, or JSON text for strings and arrays. */
  value(v: TagValue | null): void;
  /** `,"error":"…","code":2` for a sample that is not good (each only when present). */
  problems(sample: TagSample): void;
}

/** Writers bound to one JsonBytes (closures over it: measurably faster per tag than passing it along). */
export function sampleWriter(out: JsonBytes): SampleWriter {
  return {
    value(v) {
      if (typeof v === 'number') out.number(v);
      else if (typeof v === 'boolean') out.bytes(v ? TRUE : FALSE);
      else if (v === null) out.bytes(NULL);
      else out.text(JSON.stringify(v));
    },
    problems(sample) {
      if (sample.error !== undefined) {
        out.bytes(ERROR_KEY);
        out.text(JSON.stringify(sample.error));
      }
      if (sample.code !== undefined) {
        out.bytes(CODE_KEY);
        out.number(sample.code);
      }
    },
  };
}

/**
 * ISO 8601 of an epoch ms as bytes, remembering the last one: every sample of a poll shares its read
 * time, so a poll of 500 tags formats one date, not 500.
 */
export function isoCache(): (ts: number) => Buffer {
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
