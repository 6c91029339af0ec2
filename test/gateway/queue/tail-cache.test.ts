import { describe, expect, it } from 'vitest';
import type { QueuedMessage } from '../../../gateway/queue/queue.ts';
import { TailCache } from '../../../gateway/queue/tail-cache.ts';

const message = (seq: number): QueuedMessage => ({
  seq,
  enqueuedAt: 1000 + seq,
  topic: `t/${seq}`,
  payload: Buffer.from([seq % 256]),
  qos: 1,
  retain: false,
});
const seqsOf = (messages: readonly QueuedMessage[]) => messages.map((m) => m.seq);

describe('TailCache', () => {
  it('covers what was added since the reset, skips removed entries and pages by seq', () => {
    const tail = new TailCache(1000, 10);
    expect(tail.covers(9)).toBe(false);
    expect(tail.covers(10)).toBe(true);
    for (const seq of [10, 11, 13, 14, 15]) tail.add(message(seq), 10);
    tail.remove(11);
    tail.remove(11);
    tail.remove(12);
    expect(seqsOf(tail.read(9, 10))).toEqual([10, 13, 14, 15]);
    expect(seqsOf(tail.read(10, 2))).toEqual([13, 14]);
    expect(seqsOf(tail.read(15, 10))).toEqual([]);
    expect(tail.bytes).toBe(40);
    expect(tail.enqueuedAtOf(13)).toBe(1013);
    expect(tail.enqueuedAtOf(11)).toBeUndefined();
  });

  it('evicts the oldest beyond its byte bound, and then no longer covers them', () => {
    const tail = new TailCache(30, 1);
    for (let seq = 1; seq <= 5; seq++) tail.add(message(seq), 10);
    expect(tail.bytes).toBe(30);
    expect(tail.covers(2)).toBe(false);
    expect(tail.covers(3)).toBe(true);
    expect(seqsOf(tail.read(0, 10))).toEqual([3, 4, 5]);
    // Removed entries free their bytes: nothing more is evicted.
    tail.remove(4);
    tail.add(message(6), 10);
    expect(tail.covers(3)).toBe(true);
    expect(seqsOf(tail.read(0, 10))).toEqual([3, 5, 6]);
  });

  it('evicts an old entry that blocks the head so removed entries behind it do not pile up', () => {
    const tail = new TailCache(1024 * 64, 1); // 1024 slots
    tail.add(message(1), 10);
    for (let seq = 2; seq <= 5000; seq++) {
      tail.add(message(seq), 10);
      tail.remove(seq);
    }
    expect(tail.covers(1)).toBe(false);
    expect(tail.covers(2)).toBe(true);
    expect(tail.bytes).toBe(0);
    expect(seqsOf(tail.read(0, 10))).toEqual([]);
  });
});
