import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelQueue, SEQ_RESERVATION_BLOCK } from '../../../gateway/queue/level-queue.ts';

const log = pino({ level: 'silent' });
const child = join(import.meta.dirname, 'children', 'publish-then-die.ts');
let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-seq-reservation-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const message = { topic: 't', payload: Buffer.from('x'), qos: 1 as const, retain: false };

/** Runs the child until it kills itself; returns the highest seq it could have published. */
function publishThenDie(dir: string, count: number): Promise<{ published: number; nextSeq: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [child, dir, String(count)], (err, stdout, stderr) => {
      if ((err as { signal?: string } | null)?.signal !== 'SIGKILL') {
        reject(new Error(`child did not die by SIGKILL: ${String(err)} ${stderr}`));
        return;
      }
      const line = stdout.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(line) as { published: number; nextSeq: number });
    });
  });
}

describe('LevelQueue seq reservation', () => {
  it('continues without a gap after a clean close', async () => {
    const dir = join(root, 'clean');
    const first = new LevelQueue({ dir, log });
    await first.open();
    expect(await first.append([message, message, message])).toEqual([1, 2, 3]);
    await first.close();
    const second = new LevelQueue({ dir, log });
    await second.open();
    expect(second.stats().nextSeq).toBe(4);
    expect(second.stats().unstoredSeqs).toBeUndefined();
    expect(await second.append([message])).toEqual([4]);
    await second.close();
  });

  it('never gives a seq that a killed process could have published to another message (5 kills)', async () => {
    const dir = join(root, 'killed');
    let before = 0;
    for (let kill = 0; kill < 5; kill++) {
      const { published, nextSeq } = await publishThenDie(dir, 3000);
      expect(published).toBeGreaterThan(before);
      expect(nextSeq - 1).toBeGreaterThanOrEqual(published);
      const reopened = new LevelQueue({ dir, log });
      await reopened.open();
      const stats = reopened.stats();
      // Every seq the dead process handed out (read or not) lies below the new process's first seq.
      expect(stats.nextSeq).toBeGreaterThan(nextSeq - 1);
      expect(stats.unstoredSeqs).toBeDefined();
      expect(stats.unstoredSeqs?.to).toBe(stats.nextSeq - 1);
      // What is stored and what is reported unstored together cover everything up to the reservation.
      const stored = await reopened.read(0, 1_000_000);
      const highestStored = stored.at(-1)?.seq ?? 0;
      expect(stats.unstoredSeqs?.from).toBe(highestStored + 1);
      expect(stats.nextSeq - 1 - published).toBeLessThanOrEqual(SEQ_RESERVATION_BLOCK);
      await reopened.close();
      before = stats.nextSeq - 1;
    }
  }, 60_000);

  it('holds back reads above the reservation until it is written, then tells the readers', async () => {
    const dir = join(root, 'ahead');
    const queue = new LevelQueue({ dir, log });
    await queue.open();
    let told = 0;
    queue.onAppend(() => told++);
    // One append larger than a block: its tail lies beyond the reservation taken at open.
    const many = Array.from({ length: SEQ_RESERVATION_BLOCK + 100 }, () => message);
    const appended = queue.append(many);
    const readAtOnce = await queue.read(0, 1_000_000);
    expect(readAtOnce.length).toBeLessThanOrEqual(SEQ_RESERVATION_BLOCK);
    await appended;
    // The next reservation is an fsynced file write of its own (seq-ledger.ts), which on a busy disk can
    // land after the batch: wait for it (readers are told then), not a fixed time.
    const deadline = Date.now() + 10_000;
    while ((await queue.read(0, 1_000_000)).length < many.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(told).toBeGreaterThan(0);
    expect((await queue.read(0, 1_000_000)).length).toBe(many.length);
    await queue.close();
  });
});
