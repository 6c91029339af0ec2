/**
 * Benchmark messages built by the gateway's own message builder (gateway/messages.ts), so topics and
 * payload sizes are what a real device produces: per-tag messages (~100 B) for "1 tag per message" and
 * per-poll batch messages for "100 tags per message".
 */

import { createMessageBuilder } from '../../gateway/messages.ts';
import type { OutgoingMessage } from '../../gateway/queue/queue.ts';
import type { TagSample } from '../../core/sample.ts';

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
  const builders = Array.from({ length: DEVICES }, (_, d) =>
    createMessageBuilder({
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
    const builder = builders[device % DEVICES]!;
    const ts = Date.now();
    if (tagsPerMessage === 1) {
      // One poll of a device yields at most one message per tag: large counts span several polls.
      const out: OutgoingMessage[] = [];
      while (out.length < count) {
        out.push(...builder.perTag(samples(Math.min(tags.length, count - out.length), ts), index));
      }
      return out;
    }
    return Array.from({ length: count }, () => builder.batch(samples(tagsPerMessage, ts), index, ts));
  };
  return { payloadBytes: next(0, 1)[0]!.payload.length, next };
}
