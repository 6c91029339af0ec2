/**
 * The checksummed write-ahead log reader used by the salvage (wal-reader.ts), against logs written by the
 * real LevelDB: every batch read back, and a damaged or cut log yields only records that verify.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelQueue } from '../../../gateway/queue/level-queue.ts';
import { MESSAGE_KEY_PREFIX, seqOfKey } from '../../../gateway/queue/record-codec.ts';
import { crc32c, readWal, type WalContents } from '../../../gateway/queue/wal-reader.ts';
import { captureLog } from './log-capture.ts';

let root = '';
let log = Buffer.alloc(0);
const COUNT = 1500;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-wal-reader-'));
  const dir = join(root, 'queue');
  const queue = new LevelQueue({ dir, log: captureLog().log });
  await queue.open();
  // Batches of 30 messages of ~150 bytes: many 32 KiB blocks, records spanning block boundaries.
  for (let i = 0; i < COUNT; i += 30) {
    await queue.append(
      Array.from({ length: 30 }, (_, k) => ({
        topic: `t/${i + k}`,
        payload: Buffer.alloc(120, (i + k) % 251),
        qos: 1 as const,
        retain: false,
      })),
    );
  }
  await queue.ack([1, 2, 3]);
  await queue.close();
  const [name] = (await readdir(dir)).filter((f) => f.endsWith('.log'));
  log = await readFile(join(dir, name ?? 'missing.log'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const putSeqs = (wal: WalContents): number[] =>
  wal.batches.flatMap((ops) =>
    ops.filter((op) => op.type === 'put' && op.key[0] === MESSAGE_KEY_PREFIX).map((op) => seqOfKey(op.key)),
  );

describe('readWal', () => {
  it('computes CRC-32C (Castagnoli)', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
  });

  it('reads every batch LevelDB wrote, puts and deletes, with their values', () => {
    expect(log.length).toBeGreaterThan(5 * 32_768);
    const wal = readWal(log);
    expect(wal.damagedBytes).toBe(0);
    expect(wal.truncatedBytes).toBe(0);
    expect(putSeqs(wal)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    const deleted = wal.batches.flatMap((ops) =>
      ops.filter((op) => op.type === 'del').map((op) => seqOfKey(op.key)),
    );
    expect(deleted).toEqual([1, 2, 3]);
    const put = wal.batches.flat().find((op) => op.type === 'put' && op.key[0] === MESSAGE_KEY_PREFIX);
    expect(put?.type === 'put' && put.value.subarray(-120).equals(Buffer.alloc(120, 0))).toBe(true);
  });

  it('skips what does not verify and keeps reading at the next block', () => {
    const garbled = Buffer.from(log);
    garbled.fill(0x5a, 2 * 32_768 + 1000, 2 * 32_768 + 1064);
    const wal = readWal(garbled);
    expect(wal.damagedBytes).toBeGreaterThan(0);
    const seqs = putSeqs(wal);
    // Some batches are gone, those read are intact and in order, and reading resumed after the damage.
    expect(seqs.length).toBeLessThan(COUNT);
    expect(seqs.length).toBeGreaterThan(COUNT / 2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.at(-1)).toBe(COUNT);
  });

  it('reports a log cut short as truncated, with everything before the cut', () => {
    const wal = readWal(log.subarray(0, Math.floor(log.length / 2)));
    expect(wal.truncatedBytes).toBeGreaterThan(0);
    expect(wal.damagedBytes).toBe(0);
    const seqs = putSeqs(wal);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBeGreaterThan(COUNT / 3);
  });
});
