import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LevelQueue, type LevelQueueOptions } from '../../../gateway/queue/level-queue.ts';
import { describeQueue, type MakeQueue } from './queue-suite.ts';

let root = '';
let anonymous = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-level-queue-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type Variant = Pick<LevelQueueOptions, 'sync' | 'flushIntervalMs' | 'tailCacheBytes'>;

const levelQueue =
  (variant: string, extra: Variant): MakeQueue =>
  async ({ store, ...options }) => {
    const dir = join(root, variant, store ?? `q${++anonymous}`);
    const queue = new LevelQueue({ ...options, ...extra, dir });
    await queue.open();
    return queue;
  };

describeQueue(
  'LevelQueue (defaults: write when free, live reads from the tail cache)',
  levelQueue('default', {}),
  {
    persistent: true,
  },
);
// No tail cache: every read goes through a LevelDB iterator.
describeQueue(
  'LevelQueue (5 ms group commit, reads from disk)',
  levelQueue('grouped', { flushIntervalMs: 5, tailCacheBytes: 0 }),
  { persistent: true },
);
describeQueue('LevelQueue (fsync every batch)', levelQueue('sync', { sync: true }), { persistent: true });
