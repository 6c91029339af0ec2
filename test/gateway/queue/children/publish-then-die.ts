/**
 * Child process for the seq-reservation test: opens a LevelQueue, appends a burst, reads (as the publisher
 * does, before the batch is written), prints the highest seq it could have published, and SIGKILLs itself
 * at once, so that some of what it read is usually not on disk yet.
 */
import pino from 'pino';
import { LevelQueue } from '../../../../gateway/queue/level-queue.ts';

const dir = process.argv[2];
const count = Number(process.argv[3] ?? '2000');
if (dir === undefined) throw new Error('usage: publish-then-die.ts <dir> [count]');

const queue = new LevelQueue({ dir, log: pino({ level: 'silent' }) });
await queue.open();
const payload = Buffer.from('{"value":1}');
let afterSeq = queue.stats().nextSeq - 1;
let published = afterSeq;
// Many small appends: each one is readable at once, its write follows behind.
for (let i = 0; i < count; i++) {
  void queue.append([{ topic: 't', payload, qos: 1, retain: false }]).catch(() => undefined);
  if (i % 50 === 49) {
    const read = await queue.read(afterSeq, 10_000);
    const last = read.at(-1);
    if (last !== undefined) afterSeq = published = last.seq;
  }
}
const read = await queue.read(afterSeq, 10_000);
published = read.at(-1)?.seq ?? published;
process.stdout.write(`${JSON.stringify({ published, nextSeq: queue.stats().nextSeq })}\n`);
process.kill(process.pid, 'SIGKILL');
