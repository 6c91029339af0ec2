/**
 * The one suite every MessageQueue passes (the MQTT.js store pattern): memory-queue.test.ts and
 * level-queue.test.ts call describeQueue with their factory. Implementation-specific behaviour (disk
 * errors, locking, corruption) lives in the implementation's own tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../gateway/log.ts';
import { formatBound } from '../../../gateway/queue/format.ts';
import type { MessageQueue, OutgoingMessage } from '../../../gateway/queue/queue.ts';
import { storedSize } from '../../../gateway/queue/record-codec.ts';
import { captureLog } from './log-capture.ts';

export interface SuiteQueueOptions {
  readonly log: Logger;
  readonly maxBytes?: number;
  readonly maxAgeSeconds?: number;
  readonly now?: () => number;
  /** Same name, same store: a persistent queue reopened under this name sees what was stored before. */
  readonly store?: string;
}

export interface SuiteCapabilities {
  /** Survives close + a new instance on the same store (LevelQueue), or not (MemoryQueue). */
  readonly persistent: boolean;
}

/** makeQueue returns an opened queue. */
export type MakeQueue = (options: SuiteQueueOptions) => Promise<MessageQueue>;

const T0 = 1_700_000_000_000;

function message(i: number, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    topic: `plant/line1/tag${i}`,
    payload: Buffer.from(`{"v":${i}}`),
    qos: 1,
    retain: false,
    ...extra,
  };
}

function messages(from: number, count: number): OutgoingMessage[] {
  return Array.from({ length: count }, (_, k) => message(from + k));
}

export function describeQueue(name: string, makeQueue: MakeQueue, capabilities: SuiteCapabilities): void {
  describe(`MessageQueue contract: ${name}`, () => {
    const open: MessageQueue[] = [];
    const make = async (options: Partial<SuiteQueueOptions> = {}) => {
      const queue = await makeQueue({ log: captureLog().log, ...options });
      open.push(queue);
      return queue;
    };
    afterEach(async () => {
      for (const queue of open.splice(0)) await queue.close();
    });

    it('returns appended messages in order with every field intact', async () => {
      const queue = await make({ now: () => T0 });
      const input = [
        message(1),
        message(2, { qos: 0, retain: true }),
        { topic: 'plant/ünïcode/温度', payload: Buffer.alloc(0), qos: 1 as const, retain: true },
      ];
      const seqs = await queue.append(input);
      const read = await queue.read(0, 10);
      expect(read.map((m) => m.seq)).toEqual(seqs);
      expect(
        read.map(({ topic, payload, qos, retain, enqueuedAt }) => ({
          topic,
          payload,
          qos,
          retain,
          enqueuedAt,
        })),
      ).toEqual(input.map((m) => ({ ...m, enqueuedAt: T0 })));
    });

    it('stores payloads byte for byte (binary safe)', async () => {
      const queue = await make();
      const payload = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
      await queue.append([{ topic: 't', payload, qos: 1, retain: false }]);
      const [read] = await queue.read(0, 1);
      expect(Buffer.compare(read?.payload ?? Buffer.alloc(0), payload)).toBe(0);
    });

    it('assigns strictly increasing seqs across appends', async () => {
      const queue = await make();
      const a = await queue.append(messages(1, 3));
      const b = await queue.append(messages(4, 2));
      expect(await queue.append([])).toEqual([]);
      const all = [...a, ...b];
      expect(all).toHaveLength(5);
      for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1] ?? Number.NaN);
    });

    it('pages through the backlog with read(afterSeq, limit)', async () => {
      const queue = await make();
      const seqs = await queue.append(messages(1, 25));
      const page1 = await queue.read(0, 10);
      const page2 = await queue.read(page1.at(-1)?.seq ?? 0, 10);
      const page3 = await queue.read(page2.at(-1)?.seq ?? 0, 10);
      expect(page1.map((m) => m.seq)).toEqual(seqs.slice(0, 10));
      expect(page2.map((m) => m.seq)).toEqual(seqs.slice(10, 20));
      expect(page3.map((m) => m.seq)).toEqual(seqs.slice(20));
      expect(await queue.read(seqs.at(-1) ?? 0, 10)).toEqual([]);
      expect(await queue.read(0, 0)).toEqual([]);
      expect(page3.map((m) => m.topic)).toEqual(messages(21, 5).map((m) => m.topic));
    });

    it('ack is idempotent and ignores unknown seqs', async () => {
      const queue = await make();
      const seqs = await queue.append(messages(1, 4));
      const first = seqs[0] ?? 0;
      await queue.ack([first]);
      await queue.ack([first, first]);
      await queue.ack([0, -1, 1.5, 999_999]);
      expect(queue.stats().depth).toBe(3);
      expect((await queue.read(0, 10)).map((m) => m.seq)).toEqual(seqs.slice(1));
    });

    it('accepts out-of-order acks and keeps the rest in order', async () => {
      let now = T0;
      const queue = await make({ now: () => now });
      const seqs: number[] = [];
      for (let i = 0; i < 5; i++) {
        now = T0 + i * 1000;
        seqs.push(...(await queue.append([message(i)])));
      }
      await queue.ack([seqs[3] ?? 0, seqs[1] ?? 0]);
      expect((await queue.read(0, 10)).map((m) => m.seq)).toEqual([seqs[0], seqs[2], seqs[4]]);
      expect(queue.stats().oldestEnqueuedAt).toBe(T0);
      await queue.ack([seqs[0] ?? 0]);
      expect(queue.stats().oldestEnqueuedAt).toBe(T0 + 2000);
      expect((await queue.read(seqs[1] ?? 0, 10)).map((m) => m.seq)).toEqual([seqs[2], seqs[4]]);
    });

    it('reports depth, bytes and the oldest message in stats', async () => {
      let now = T0;
      const queue = await make({ now: () => now });
      expect(queue.stats()).toEqual({
        depth: 0,
        bytes: 0,
        oldestEnqueuedAt: undefined,
        dropped: 0,
        degraded: false,
        nextSeq: 1,
        notQueued: { write_failed: 0, back_pressure: 0 },
        pendingBytes: 0,
      });
      const input = [message(1), message(2, { payload: Buffer.alloc(300, 1) })];
      await queue.append(input);
      now += 5000;
      const seqs = await queue.append([message(3)]);
      const bytes = [...input, message(3)].reduce((sum, m) => sum + storedSize(m), 0);
      expect(queue.stats()).toEqual({
        depth: 3,
        bytes,
        oldestEnqueuedAt: T0,
        dropped: 0,
        degraded: false,
        nextSeq: 4,
        notQueued: { write_failed: 0, back_pressure: 0 },
        pendingBytes: 0,
      });
      await queue.ack((await queue.read(0, 10)).map((m) => m.seq));
      expect(queue.stats()).toEqual({
        depth: 0,
        bytes: 0,
        oldestEnqueuedAt: undefined,
        dropped: 0,
        degraded: false,
        nextSeq: 4,
        notQueued: { write_failed: 0, back_pressure: 0 },
        pendingBytes: 0,
      });
      expect(seqs).toEqual([3]);
    });

    it('calls onAppend listeners once the messages are readable, until unsubscribed', async () => {
      const queue = await make();
      let calls = 0;
      const readsInListener: Promise<number>[] = [];
      const stop = queue.onAppend(() => {
        calls++;
        readsInListener.push(queue.read(0, 100).then((r) => r.length));
      });
      queue.onAppend(() => {
        throw new Error('a broken listener must not fail the append');
      });
      await queue.append(messages(1, 2));
      const afterFirst = calls;
      await queue.append(messages(3, 1));
      // A queue may call more than once per append (LevelQueue: at append and after the write); every
      // call sees at least what was appended before it.
      const lengths = await Promise.all(readsInListener);
      expect(afterFirst).toBeGreaterThanOrEqual(1);
      expect(lengths.slice(0, afterFirst).every((n) => n === 2)).toBe(true);
      expect(lengths.slice(afterFirst)).not.toHaveLength(0);
      expect(lengths.slice(afterFirst).every((n) => n === 3)).toBe(true);
      stop();
      const before = calls;
      await queue.append(messages(4, 1));
      expect(calls).toBe(before);
    });

    it('drops the oldest messages beyond maxBytes, counts them and logs once per burst', async () => {
      const captured = captureLog();
      const size = storedSize(message(1));
      const queue = await make({ log: captured.log, maxBytes: 5 * size + size - 1 });
      const seqs: number[] = [];
      for (let i = 1; i <= 8; i++) seqs.push(...(await queue.append([message(i)])));
      expect(queue.stats()).toMatchObject({ depth: 5, bytes: 5 * size, dropped: 3 });
      expect((await queue.read(0, 10)).map((m) => m.seq)).toEqual(seqs.slice(3));
      const full = () => captured.messages(40).filter((m) => m.startsWith('queue full'));
      const bound = formatBound(6 * size - 1);
      // The first drop is logged at once; the rest of the burst is summed, not logged per message.
      expect(full()).toEqual([`queue full: dropped 1 oldest messages (bound ${bound})`]);
      await queue.close();
      expect(full()).toEqual([
        `queue full: dropped 1 oldest messages (bound ${bound})`,
        `queue full: dropped 2 oldest messages (bound ${bound})`,
      ]);
    });

    it('drops messages older than maxAgeSeconds', async () => {
      let now = T0;
      const queue = await make({ now: () => now, maxAgeSeconds: 60 });
      await queue.append(messages(1, 2));
      now = T0 + 30_000;
      const [young] = await queue.append([message(3)]);
      now = T0 + 61_000;
      expect((await queue.read(0, 10)).map((m) => m.seq)).toEqual([young]);
      expect(queue.stats()).toMatchObject({ depth: 1, dropped: 2, oldestEnqueuedAt: T0 + 30_000 });
    });

    it('keeps call order for concurrent appends', async () => {
      const queue = await make();
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => queue.append([message(i)])));
      const seqs = results.flat();
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(100);
      const read = await queue.read(0, 200);
      expect(read.map((m) => m.topic)).toEqual(messages(0, 100).map((m) => m.topic));
    });

    it('rejects appends after close', async () => {
      const queue = await make();
      await queue.append([message(1)]);
      await queue.close();
      await expect(queue.append([message(2)])).rejects.toThrow(/is not open/);
    });

    if (capabilities.persistent) {
      it('keeps messages and the seq counter across close and reopen', async () => {
        let now = T0;
        const first = await make({ store: 'reopen', now: () => now });
        const seqs = await first.append(messages(1, 3));
        await first.ack([seqs[0] ?? 0]);
        await first.close();
        now += 1000;
        const second = await make({ store: 'reopen', now: () => now });
        expect(second.stats()).toMatchObject({ depth: 2, oldestEnqueuedAt: T0 });
        expect((await second.read(0, 10)).map((m) => m.seq)).toEqual(seqs.slice(1));
        const [next] = await second.append([message(4)]);
        expect(next).toBe((seqs.at(-1) ?? 0) + 1);
      });

      it('never reuses a seq, even after the queue was emptied and reopened', async () => {
        const first = await make({ store: 'emptied' });
        const seqs = await first.append(messages(1, 3));
        await first.ack(seqs);
        await first.close();
        const second = await make({ store: 'emptied' });
        expect(second.stats().depth).toBe(0);
        const [next] = await second.append([message(4)]);
        expect(next).toBeGreaterThan(seqs.at(-1) ?? Number.POSITIVE_INFINITY);
      });
    }
  });
}
