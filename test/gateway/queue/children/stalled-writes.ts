/**
 * Child process for the back-pressure test (run with --expose-gc and UV_THREADPOOL_SIZE=4): stalls every
 * LevelDB write for real, appends far more than `maxPendingBytes` while it is stalled, measures the memory
 * that costs, then lets the writes go and reports what was stored, refused and logged, as one JSON line.
 *
 * The stall: LevelDB writes run on libuv's thread pool. Opening a FIFO for reading blocks the thread
 * that does it until a writer opens the other end, so four such opens hold all four threads, and the
 * queue's batch write waits behind them exactly as it would behind a disk that stopped answering.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { LevelQueue } from '../../../../gateway/queue/level-queue.ts';

const [dir, maxPendingArg, appendsArg, payloadArg] = process.argv.slice(2);
if (dir === undefined || maxPendingArg === undefined) {
  throw new Error('usage: stalled-writes.ts <dir> <maxPendingBytes> [appends] [payload bytes]');
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const THREADS = Number(process.env.UV_THREADPOOL_SIZE ?? '4');
const APPENDS = Number(appendsArg ?? '2000');
const PER_APPEND = 10;

const logLines: Record<string, unknown>[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
const queue = new LevelQueue({ dir: join(dir, 'queue'), log, maxPendingBytes: Number(maxPendingArg) });
await queue.open();
const payload = Buffer.alloc(Number(payloadArg ?? '1024'), 0x61);
const batch = Array.from({ length: PER_APPEND }, (_, i) => ({
  topic: `t/${i}`,
  payload,
  qos: 1 as const,
  retain: false,
}));
const first = await queue.append(batch);

// Stall: every pool thread blocked in open(2) on a FIFO nobody writes to yet.
const fifos = Array.from({ length: THREADS }, (_, i) => join(dir, `stall${i}`));
for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
const blocked = fifos.map((fifo) => open(fifo, 'r'));
await new Promise((resolve) => setTimeout(resolve, 200));
let probeWritten = false;
const probe = queue.append(batch).then((seqs) => {
  probeWritten = true;
  return seqs;
});
await new Promise((resolve) => setTimeout(resolve, 300));
const stalled = !probeWritten;

const memory = (): number => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = memory();
const accepted: Promise<number[]>[] = [probe];
let refused = 0;
let otherErrors = 0;
for (let i = 0; i < APPENDS; i++) {
  const refusedBefore = queue.stats().notQueued.back_pressure;
  const appended = queue.append(batch);
  appended.catch((err: { code?: string }) => {
    if (err.code === 'QUEUE_BACK_PRESSURE') refused += PER_APPEND;
    else otherErrors += PER_APPEND;
  });
  // Refused at once (counted before append returns): not kept, so only the queue's memory is measured.
  if (queue.stats().notQueued.back_pressure === refusedBefore) accepted.push(appended);
  if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
}
await new Promise((resolve) => setImmediate(resolve));
const during = queue.stats();
const growth = memory() - before;

// Release: opening the write ends unblocks the pool threads; the writes go through.
for (const fifo of fifos) closeSync(openSync(fifo, 'w'));
await Promise.all(blocked.map(async (handle) => (await handle).close()));
const settled = await Promise.allSettled(accepted);
const storedSeqs = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
const read = await queue.read(0, 1_000_000);
const last = read.at(-1)?.seq ?? 0;
const after = queue.stats();
await queue.close();

process.stdout.write(
  `${JSON.stringify({
    stalled,
    growth,
    pendingBytesDuring: during.pendingBytes,
    notQueuedDuring: during.notQueued,
    refused,
    otherErrors,
    storedSeqs: storedSeqs.length,
    readBack: read.length - first.length,
    /** Seqs handed out after the first append (stored or refused), and the highest stored one. */
    handedOut: after.nextSeq - 1 - (first.at(-1) ?? 0),
    lastStored: last - (first.at(-1) ?? 0),
    notQueuedAfter: after.notQueued,
    pendingBytesAfter: after.pendingBytes,
    warned: logLines
      .filter((l) => l.reason === 'back_pressure')
      .map((l) => ({ level: l.level, notQueued: l.notQueued, msg: l.msg })),
  })}\n`,
);
