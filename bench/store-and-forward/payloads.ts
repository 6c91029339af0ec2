/**
 * Benchmark messages built by the gateway's own JSON encoders (gateway/payloads/), so topics and
 * payload sizes are what a real device produces: per-tag messages (~100 B) for "1 tag per message" and
 * per-poll batch messages for "100 tags per message".
 */

import type { TagSample } from '../../core/sample.ts';
import { createEncoder } from '../../gateway/payloads/encoder.ts';
import type { OutgoingMessage } from '../../gateway/queue/queue.ts';

export interface MessageSource {
  /** Bytes of one payload (before the publisher's seq/boot stamp). */
  readonly payloadBytes: number;
  /** `count` messages for the next poll of device `device`. */
  next(device: number, count: number): OutgoingMessage[];
}

const DEVICES = 100;

/** `tagsPerMessage` 1: per-tag messages; otherwise one batch message holding that many tags. */
export function messageSource(tagsPerMessage: number): MessageSource {
  const tags = Array.from({ length: Math.max(10, tagsPerMessage) }, (_, i) => ({
    name: `line${i % 4}.tag${i}`,
    unit: i % 3 === 0 ? '°C' : 'bar',
  }));
  const format = tagsPerMessage === 1 ? 'json-per-tag' : 'json-batch';
  const encoders = Array.from({ length: DEVICES }, (_, d) =>
    createEncoder(format, {
      tags,
      context: { prefix: 'bench', gateway: 'gw1', device: `plc${d}` },
      topicTemplate: '{prefix}/{device}/{tag}',
      batchTemplate: '{prefix}/{device}',
    }),
  );
  const index = tags.map((_, i) => i);
  let n = 0;
  const samples = (count: number, ts: number): TagSample[] =>
    Array.from({ length: count }, (_, i) => ({
      tag: tags[i]!.name,
      value: Math.round((20 + ((n++ * 7919) % 1000) / 10) * 10) / 10,
      quality: 'good' as const,
      ts,
    }));
  const next = (device: number, count: number): OutgoingMessage[] => {
    const encoder = encoders[device % DEVICES]!;
    const ts = Date.now();
    if (tagsPerMessage === 1) {
      // One poll of a device yields at most one message per tag: large counts span several polls.
      const out: OutgoingMessage[] = [];
      while (out.length < count) {
        out.push(...encoder.encode(samples(Math.min(tags.length, count - out.length), ts), index, ts));
      }
      return out;
    }
    return Array.from({ length: count }, () => encoder.encode(samples(tagsPerMessage, ts), index, ts)[0]!);
  };
  return { payloadBytes: next(0, 1)[0]!.payload.length, next };
}
