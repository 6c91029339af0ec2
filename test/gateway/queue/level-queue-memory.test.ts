/**
 * What LevelQueue keeps in memory instead of reading it back from disk: the tail cache (live reads) and
 * the stored size of every message (acks and the byte bound). The contract is that nothing observable
 * changes: a queue with a tail cache answers every read exactly like one reading from disk, and the byte
 * counters after acks match what a fresh open scan counts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LevelQueue, type LevelQueueOptions } from '../../../gateway/queue/level-queue.ts';
import type { OutgoingMessage } from '../../../gateway/queue/queue.ts';
import { storedSize } from '../../../gateway/queue/record-codec.ts';
import { captureLog } from './log-capture.ts';

const T0 = 1_700_000_000_000;
let root = '';
let dirCount = 0;
const queues: LevelQueue[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-level-memory-'));
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function openQueue(options: Partial<LevelQueueOptions> & { dir: string }): Promise<LevelQueue> {
  const queue = new LevelQueue({ log: captureLog().log, ...options });
  await queue.open();
  queues.push(queue);
  return queue;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays identically. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const msg = (i: number, payloadBytes: number): OutgoingMessage => ({
  topic: `plant/line${i % 3}/tag${i}`,
  payload: Buffer.alloc(payloadBytes, i % 251),
  qos: i % 2 === 0 ? 1 : 0,
  retain: i % 5 === 0,
});

describe('LevelQueue tail cache', () => {
  it('answers every read exactly like a queue that reads from disk, across acks, drops and a reopen', async () => {
    const next = random(42);
    let now = T0;
    const clock = () => now;
    // Same operations on both; the bound drops the oldest now and then, the small tail (about 40 messages)
    // makes reads cross the border between disk and memory.
    const shared = { now: clock, maxBytes: 12_000 };
    const dirs = { cached: join(root, `cached${++dirCount}`), disk: join(root, `disk${dirCount}`) };
    const open = async () => ({
      cached: await openQueue({ ...shared, dir: dirs.cached, tailCacheBytes: 4000 }),
      disk: await openQueue({ ...shared, dir: dirs.disk, tailCacheBytes: 0 }),
    });
    let { cached, disk } = await open();
    let counter = 0;
    let reads = 0;

    const compare = async () => {
      const stats = disk.stats();
      expect(cached.stats()).toEqual(stats);
      const first = (await disk.read(0, 1))[0]?.seq ?? 0;
      for (const afterSeq of [0, first, stats.nextSeq - 2 - Math.floor(next() * 60), stats.nextSeq - 1]) {
        const limit = 1 + Math.floor(next() * 50);
        expect(await cached.read(afterSeq, limit), `read(${afterSeq}, ${limit})`).toEqual(
          await disk.read(afterSeq, limit),
        );
        reads++;
      }
    };

    for (let round = 0; round < 300; round++) {
      if (round === 150) {
        await cached.close();
        await disk.close();
        ({ cached, disk } = await open());
        await compare();
      }
      now += 1000;
      const batch = Array.from({ length: 1 + Math.floor(next() * 4) }, () =>
        msg(++counter, Math.floor(next() * 120)),
      );
      expect(await cached.append(batch)).toEqual(await disk.append(batch));
      if (next() < 0.3) {
        // Ack some stored seqs out of order, plus one already acked and one unknown.
        const page = await disk.read(0, 30);
        const acked = page.filter(() => next() < 0.2).map((m) => m.seq);
        const extra = [acked[0] ?? 0, 999_999_999];
        await cached.ack([...acked, ...extra]);
        await disk.ack([...acked, ...extra]);
      }
      await compare();
    }
    expect(reads).toBeGreaterThan(1000);
    expect(disk.stats().dropped).toBeGreaterThan(0);
  });

  it('serves the newest messages from memory, never an acked one', async () => {
    const queue = await openQueue({ dir: join(root, `live${++dirCount}`) });
    const seqs = await queue.append([msg(1, 10), msg(2, 10), msg(3, 10)]);
    const [a] = await queue.read(seqs[0] ?? 0, 1);
    const [b] = await queue.read(seqs[0] ?? 0, 1);
    // One object both times: held in memory, not decoded from a LevelDB iterator per read.
    expect(a).toBe(b);
    expect(a?.seq).toBe(seqs[1]);
    await queue.ack([seqs[1] ?? 0]);
    expect((await queue.read(0, 10)).map((m) => m.seq)).toEqual([seqs[0], seqs[2]]);
  });
});

describe('LevelQueue acks without reading values', () => {
  it('counts exactly the bytes of what was stored, after a reopen too', async () => {
    const dir = join(root, `acks${++dirCount}`);
    const input = Array.from({ length: 20 }, (_, i) => msg(i, i * 7));
    const first = await openQueue({ dir, now: () => T0 });
    const seqs = await first.append(input);
    await first.ack(seqs.slice(0, 5));
    await first.close();

    const second = await openQueue({ dir, now: () => T0 });
    const bytesOf = (from: number, to: number) =>
      input.slice(from, to).reduce((sum, m) => sum + storedSize(m), 0);
    expect(second.stats()).toMatchObject({ depth: 15, bytes: bytesOf(5, 20) });
    // Backlog from before the restart (not in the tail): acked once, twice, with unknown and old seqs.
    const backlog = seqs.slice(5, 12);
    await second.ack([...backlog, seqs[7] ?? 0, seqs[0] ?? 0, 0, -3, 2.5, 1e12]);
    await second.ack(backlog);
    expect(second.stats()).toMatchObject({ depth: 8, bytes: bytesOf(12, 20) });
    // Appended after the restart (in the tail) together with the rest of the backlog.
    const fresh = await second.append([msg(100, 50)]);
    await second.ack([...seqs.slice(12, 19), ...fresh]);
    expect(second.stats()).toMatchObject({ depth: 1, bytes: bytesOf(19, 20) });
    expect((await second.read(0, 10)).map((m) => m.seq)).toEqual([seqs[19]]);
    await second.close();

    // A fresh open scan agrees with the counters the acks kept.
    const third = await openQueue({ dir, now: () => T0 });
    expect(third.stats()).toMatchObject({ depth: 1, bytes: bytesOf(19, 20), oldestEnqueuedAt: T0 });
  });
});
