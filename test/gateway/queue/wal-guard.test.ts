/**
 * LevelDB "recovers" a damaged write-ahead log by dropping the damaged records and deleting the log
 * (wal-guard.ts): the queue must say so loudly and keep a copy of the log as it was.
 */
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelQueue } from '../../../gateway/queue/level-queue.ts';
import type { OutgoingMessage } from '../../../gateway/queue/queue.ts';
import { captureLog } from './log-capture.ts';

const msg = (i: number): OutgoingMessage => ({
  topic: `t/${i}`,
  payload: Buffer.alloc(200, i),
  qos: 1,
  retain: false,
});

let root = '';
let dirCount = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-wal-guard-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A closed store whose messages are only in LevelDB's log (no compaction ran). */
async function seed(count: number): Promise<string> {
  const dir = join(root, `q${++dirCount}`);
  const queue = new LevelQueue({ dir, log: captureLog().log });
  await queue.open();
  for (let i = 0; i < count; i += 10) await queue.append(Array.from({ length: 10 }, (_, k) => msg(i + k)));
  await queue.close();
  return dir;
}

/** Sorted seqs as [from, to] ranges. */
function rangesOf(seqs: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const seq of seqs) {
    const last = ranges.at(-1);
    if (last !== undefined && last[1] === seq - 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

const siblings = async (dir: string) =>
  (await readdir(dirname(dir))).filter((name) => name.startsWith(`${basename(dir)}.`));

describe('LevelQueue write-ahead log guard', () => {
  it('reports dropped log records as corruption and keeps a copy of the damaged log', async () => {
    const dir = await seed(400);
    const [wal] = (await readdir(dir)).filter((name) => name.endsWith('.log'));
    const file = await open(join(dir, wal ?? 'missing.log'), 'r+');
    const size = (await file.stat()).size;
    await file.write(Buffer.alloc(64, 0x5a), 0, 64, Math.floor(size / 2));
    await file.close();
    const damaged = await readFile(join(dir, wal ?? 'missing.log'));

    const captured = captureLog();
    const queue = new LevelQueue({ dir, log: captured.log });
    await queue.open();
    const errors = captured.lines.filter((l) => l.level >= 50);
    // One line for what LevelDB dropped, one for the messages that are now missing (seq ledger).
    expect(errors).toHaveLength(2);
    const [error, missing] = errors;
    const copy = join(root, (await siblings(dir))[0] ?? 'no copy');
    expect(error?.walCopy).toBe(copy);
    expect(error?.msg).toMatch(
      new RegExp(
        `^queue store ${dir}: corrupt write-ahead log; LevelDB dropped [\\d ]+ bytes of it at open \\(.*dropping \\d+ bytes; Corruption: checksum mismatch.*\\), so messages stored before the restart are missing from the queue; a copy of the log files as they were before the open is kept in ${copy} for salvage$`,
      ),
    );
    expect(error?.droppedBytes).toBeGreaterThan(0);
    expect(copy).toMatch(/\.corrupt-\d{8}T\d{6}-\d{3}Z-wal$/);
    expect((await readFile(join(copy, wal ?? 'missing.log'))).equals(damaged)).toBe(true);
    // LevelDB did drop messages: the queue holds fewer than were appended, and the second line names
    // exactly those (seqs 1..400 were all stored at the clean close).
    const depth = queue.stats().depth;
    expect(depth).toBeLessThan(400);
    const present = new Set((await queue.read(0, 1000)).map((m) => m.seq));
    const lost = Array.from({ length: 400 }, (_, i) => i + 1).filter((seq) => !present.has(seq));
    expect(missing?.lost).toBe(400 - depth);
    expect(lost).toHaveLength(400 - depth);
    expect(missing?.lostSeqs).toEqual(rangesOf(lost));
    expect(missing?.msg).toContain(
      `${missing?.lost} messages stored at the last clean stop are missing and lost`,
    );
    expect(missing?.walCopy).toBe(copy);
    expect(queue.stats().storeDamage).toMatchObject({ lostMessages: 400 - depth, walCopy: copy });
    await queue.close();
  });

  it('deletes its copy when the log is intact', async () => {
    const dir = await seed(30);
    const captured = captureLog();
    const queue = new LevelQueue({ dir, log: captured.log });
    await queue.open();
    expect(queue.stats().depth).toBe(30);
    expect(captured.messages(40)).toEqual([]);
    expect(await siblings(dir)).toEqual([]);
    await queue.close();
  });
});
