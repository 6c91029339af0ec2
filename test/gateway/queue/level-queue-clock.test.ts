/**
 * The LevelDB queue's schedules on a ManualClock (core/clock.ts): the group-commit window and the age
 * bound's timer run on the injected clock, so they are tested by moving time, not by waiting for it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { LevelQueue } from '../../../gateway/queue/level-queue.ts';

const log = pino({ level: 'silent' });
const message = (n: number) => ({
  topic: `t/${n}`,
  payload: Buffer.from(`m${n}`),
  qos: 1 as const,
  retain: false,
});

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-level-queue-clock-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LevelQueue on a manual clock', () => {
  it('writes a batch only when the group-commit window has passed on the clock', async () => {
    const clock = new ManualClock(1_000_000);
    const queue = new LevelQueue({ dir: join(root, 'window'), log, clock, flushIntervalMs: 1000 });
    await queue.open();
    let resolved: number[] | undefined;
    const appended = queue.append([message(1), message(2)]).then((seqs) => {
      resolved = seqs;
      return seqs;
    });
    // Readable at once (write-behind), but waiting for the window: nothing is being written yet.
    expect((await queue.read(0, 10)).map((m) => m.seq)).toEqual([1, 2]);
    expect(clock.pending).toBe(1); // the window's timer, on the manual clock
    clock.advance(999);
    expect(clock.pending).toBe(1);
    expect(queue.stats().pendingBytes).toBeGreaterThan(0);
    expect(resolved).toBeUndefined();
    expect(queue.stats().depth).toBe(0);
    clock.advance(1);
    expect(clock.pending).toBe(0);
    expect(await appended).toEqual([1, 2]);
    expect(queue.stats()).toMatchObject({ depth: 2, pendingBytes: 0 });
    // enqueuedAt comes from the same clock.
    expect((await queue.read(0, 10)).map((m) => m.enqueuedAt)).toEqual([1_000_000, 1_000_000]);
    await queue.close();
  });

  it('drops expired messages from its timer, without a read, once the clock passes the age bound', async () => {
    const clock = new ManualClock(5_000_000);
    const queue = new LevelQueue({ dir: join(root, 'age'), log, clock, maxAgeSeconds: 60 });
    await queue.open();
    await queue.append([message(1), message(2), message(3)]);
    clock.advance(30_000);
    await queue.append([message(4)]);
    // The timer checks every maxAge/4 (15 s): at 60 s nothing is older than 60 s yet; at 75 s the first
    // three are (75 s old), the fourth is not (45 s).
    await clock.advanceAsync(46_000);
    await queue.close(); // waits for the drop the timer started
    expect(queue.stats().dropped).toBe(3);
  });

  it('drops nothing while the clock stays within the age bound', async () => {
    const clock = new ManualClock(5_000_000);
    const queue = new LevelQueue({ dir: join(root, 'young'), log, clock, maxAgeSeconds: 60 });
    await queue.open();
    await queue.append([message(1), message(2)]);
    await clock.advanceAsync(59_000);
    await queue.close();
    expect(queue.stats().dropped).toBe(0);
  });
});
