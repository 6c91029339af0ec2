/**
 * LevelQueue behaviour that only an on-disk store has: restarts, a second process, corruption, a full
 * disk and a SIGKILL. Real processes, real files, a real (2 MB tmpfs) full disk.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Level } from 'level';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LevelQueue, type LevelQueueOptions } from '../../../gateway/queue/level-queue.ts';
import type { OutgoingMessage } from '../../../gateway/queue/queue.ts';
import { messageKey } from '../../../gateway/queue/record-codec.ts';
import { captureLog } from './log-capture.ts';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const msg = (i: number, payload = Buffer.from(`v${i}`)): OutgoingMessage => ({
  topic: `t/${i}`,
  payload,
  qos: 1,
  retain: false,
});

let root = '';
let dirCount = 0;
const queues: LevelQueue[] = [];
const newDir = () => join(root, `q${++dirCount}`);

async function openQueue(options: Partial<LevelQueueOptions> & { dir: string }): Promise<LevelQueue> {
  const queue = new LevelQueue({ log: captureLog().log, ...options });
  await queue.open();
  queues.push(queue);
  return queue;
}

/** Fills a store through the queue, then closes it so the test can damage its files. */
async function seed(dir: string, count: number, payloadBytes = 8): Promise<void> {
  const queue = new LevelQueue({ dir, log: captureLog().log });
  await queue.open();
  await queue.append(Array.from({ length: count }, (_, i) => msg(i + 1, Buffer.alloc(payloadBytes, i))));
  await queue.close();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-level-store-'));
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LevelQueue on disk', () => {
  it('logs the backlog recovered at open', async () => {
    const dir = newDir();
    await seed(dir, 3);
    const captured = captureLog();
    await openQueue({ dir, log: captured.log });
    expect(captured.messages(30)).toContain(
      'queue opened: 3 messages (90 B) waiting from before the restart',
    );
  });

  it('names the PID and command line of another process holding the queue', async () => {
    const dir = newDir();
    await openQueue({ dir });
    const { stdout } = await run(process.execPath, [fixture('open-queue.ts'), dir]);
    const result = JSON.parse(stdout) as { code: string; message: string };
    expect(result.code).toBe('QUEUE_LOCKED');
    expect(result.message).toBe(
      `queue ${dir} is already in use by PID ${process.pid} (${[process.argv0, ...process.argv.slice(1)].join(' ')})`,
    );
  });

  it('lets a second process open the queue once the first closed it', async () => {
    const dir = newDir();
    const queue = await openQueue({ dir });
    await queue.close();
    const { stdout } = await run(process.execPath, [fixture('open-queue.ts'), dir]);
    expect(JSON.parse(stdout)).toEqual({ opened: true });
  });

  it('loses nothing whose append resolved when the process is SIGKILLed', async () => {
    const dir = newDir();
    const child = spawn(process.execPath, [fixture('append-until-killed.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: number[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        acknowledged.push(...lines.map(Number));
        if (acknowledged.length >= 300 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.on('exit', resolve));
    const queue = await openQueue({ dir });
    const stored = new Set((await queue.read(0, 1_000_000)).map((m) => m.seq));
    expect(acknowledged.filter((seq) => !stored.has(seq))).toEqual([]);
  });

  it('serves a message to readers at once, and deletes it only once it is written and acked', async () => {
    const dir = newDir();
    // A long group-commit window: the write happens well after the read and the ack below.
    const queue = await openQueue({ dir, flushIntervalMs: 10_000 });
    let written = false;
    const appended = queue.append([msg(1), msg(2)]).then((seqs) => {
      written = true;
      return seqs;
    });
    const read = await queue.read(0, 10);
    expect(read.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['t/1', 'v1'],
      ['t/2', 'v2'],
    ]);
    expect(written).toBe(false);
    expect(queue.stats().depth).toBe(0);
    // The ack of a message not yet written writes it first (never an ack that finds nothing to delete).
    await queue.ack([read[0]!.seq]);
    expect(written).toBe(true);
    expect(await appended).toEqual(read.map((m) => m.seq));
    expect(queue.stats().depth).toBe(1);
    await queue.close();
    const reopened = await openQueue({ dir });
    expect((await reopened.read(0, 10)).map((m) => m.seq)).toEqual([read[1]!.seq]);
  });

  // Every kind of damage with a seq ledger: level-queue-damage.test.ts. Here the ledger is gone too
  // (a store written before it existed, or a disk that took both).
  it('moves a store with a corrupt MANIFEST and no seq ledger aside, salvages it, and jumps its seqs', async () => {
    const dir = newDir();
    await seed(dir, 5);
    await rm(join(dir, 'SEQS'));
    const before = (await readdir(dir)).filter((f) => f !== 'LOCK' && f !== 'OWNER').sort();
    const manifest = before.find((f) => f.startsWith('MANIFEST-')) ?? 'MANIFEST-missing';
    await writeFile(join(dir, manifest), Buffer.alloc(200, 0x41));
    const captured = captureLog();
    const queue = await openQueue({ dir, log: captured.log });

    const aside = (await readdir(root)).filter((f) => f.startsWith(`${dir.split('/').at(-1)}.corrupt-`));
    expect(aside).toHaveLength(1);
    const movedTo = join(root, aside[0] ?? '');
    expect((await readdir(movedTo)).sort()).toEqual(expect.arrayContaining(before));
    const errors = captured.lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toContain(`moved it aside to ${movedTo}, where the old data is kept`);
    expect(errors[0]?.msg).toContain('Corruption');
    expect(errors[0]?.msg).toContain('salvaged 5 messages');
    expect(errors[0]?.msg).toContain('which messages are missing cannot be told');

    expect((await queue.read(0, 10)).map((m) => m.payload)).toEqual(
      Array.from({ length: 5 }, (_, i) => Buffer.alloc(8, i)),
    );
    const [seq] = await queue.append([msg(1)]);
    // No ledger says how far the old store's seqs went, and its newest writes may be in the lost part, so
    // seqs jump by more than a write-ahead log can hold: never a seq the old store may have used.
    expect(seq).toBeGreaterThan(5 + 1_000_000);
    await queue.close();
    const reopened = await openQueue({ dir });
    const [next] = await reopened.append([msg(2)]);
    expect(next).toBe((seq ?? 0) + 1);
  });

  it('skips a single undecodable record with an error naming its seq and keeps the others', async () => {
    const dir = newDir();
    await seed(dir, 3);
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    await db.put(messageKey(2), Buffer.from('not a record'));
    await db.close();
    const captured = captureLog();
    const queue = await openQueue({ dir, log: captured.log });

    expect(captured.messages(50)).toEqual([
      'queue record 2 cannot be decoded (record 2: unknown format version 110 (expected 1)): skipped and kept under key "x:2"; the other messages are unaffected',
    ]);
    expect((await queue.read(0, 10)).map((m) => m.topic)).toEqual(['t/1', 't/3']);
    expect(queue.stats().depth).toBe(2);
    const [next] = await queue.append([msg(4)]);
    expect(next).toBe(4);
  });
});

describe('LevelQueue on a full disk (2 MB tmpfs)', () => {
  const mountPoint = () => join(root, 'tmpfs');
  let mounted = false;
  let whyNot = '';

  beforeAll(async () => {
    await mkdir(mountPoint(), { recursive: true });
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint()]);
      mounted = true;
    } catch (err) {
      whyNot = (err as Error).message;
    }
  });
  afterAll(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    if (mounted) await run('umount', [mountPoint()]);
  });

  it('rejects appends with a clear error, degrades, logs once and recovers when space returns', async (ctx) => {
    if (!mounted) {
      console.warn(`skipping the full-disk test: cannot mount a tmpfs (${whyNot})`);
      ctx.skip();
    }
    const filler = join(mountPoint(), 'filler');
    await writeFile(filler, Buffer.alloc(1200 * 1024));
    const captured = captureLog();
    const queue = await openQueue({
      dir: join(mountPoint(), 'queue'),
      log: captured.log,
      flushIntervalMs: 0,
    });

    const stored: number[] = [];
    let failure: unknown;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      try {
        stored.push(...(await queue.append([msg(i, Buffer.alloc(16 * 1024, i))])));
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toMatchObject({ code: 'QUEUE_WRITE_FAILED' });
    expect((failure as Error).message).toMatch(
      /^queue .*\/tmpfs\/queue: could not store 1 messages: .*No space left on device.* \(queue degraded; it retries with the next write\)$/,
    );
    expect(queue.stats().degraded).toBe(true);
    await expect(queue.append([msg(999, Buffer.alloc(16 * 1024))])).rejects.toMatchObject({
      code: 'QUEUE_WRITE_FAILED',
    });
    expect(captured.messages(50).filter((m) => m.startsWith('queue write failed'))).toHaveLength(1);
    // Both rejected messages are counted as not queued, and the first is logged at once with its count.
    expect(queue.stats().notQueued).toEqual({ write_failed: 2, back_pressure: 0 });
    const notQueuedLines = () => captured.lines.filter((l) => l.reason === 'write_failed');
    expect(notQueuedLines()[0]).toMatchObject({ level: 40, notQueued: 1 });
    expect(notQueuedLines()[0]?.msg).toMatch(
      /^queue could not store 1 messages \(.*No space left on device.*\): they are lost and their seqs skipped \(not queued: write failed\)$/,
    );

    await rm(filler);
    const [recovered] = await queue.append([msg(1000)]);
    expect(queue.stats().degraded).toBe(false);
    expect(captured.messages(30)).toContain('queue writes succeed again: no longer degraded');
    const seqs = (await queue.read(0, 1000)).map((m) => m.seq);
    expect(seqs).toEqual([...stored, recovered]);
    expect(queue.stats().depth).toBe(stored.length + 1);
    // The lost seqs are the gap between the stored ones and the one after recovery.
    expect((recovered ?? 0) - (stored.at(-1) ?? 0) - 1).toBe(2);
    await queue.close();
    // Once per burst: the rest of the burst is logged with its count by the close at the latest.
    expect(notQueuedLines().reduce((n, l) => n + (l.notQueued as number), 0)).toBe(2);
    expect(notQueuedLines().length).toBeLessThanOrEqual(2);
  });

  it('a full disk at open is not damage: the store stays where it is and opens once there is space', async (ctx) => {
    if (!mounted) ctx.skip();
    const dir = join(mountPoint(), 'replay');
    // Messages in the write-ahead log only: the open must write them into a table, which needs space.
    await seed(dir, 200, 4096);
    const filler = join(mountPoint(), 'filler');
    const handle = await open(filler, 'w');
    try {
      for (;;) await handle.write(Buffer.alloc(64 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      await handle.close();
    }
    const failed = new LevelQueue({ dir, log: captureLog().log });
    await expect(failed.open()).rejects.toMatchObject({
      code: 'QUEUE_OPEN_FAILED',
      message: expect.stringMatching(/No space left on device/),
    });
    expect((await readdir(mountPoint())).filter((f) => f.includes('corrupt'))).toEqual([]);
    await rm(filler);
    const queue = await openQueue({ dir });
    expect(queue.stats().depth).toBe(200);
    expect(queue.stats().storeDamage).toBeUndefined();
  });
});
