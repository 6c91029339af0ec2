import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LevelQueue } from '../../../gateway/queue/level-queue.ts';
import { describeQueue, type MakeQueue } from './queue-suite.ts';

let root = '';
let anonymous = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-level-queue-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const levelQueue =
  (variant: string, extra: { sync?: boolean; flushIntervalMs?: number }): MakeQueue =>
  async ({ store, ...options }) => {
    const dir = join(root, variant, store ?? `q${++anonymous}`);
    const queue = new LevelQueue({ ...options, ...extra, dir });
    await queue.open();
    return queue;
  };

describeQueue('LevelQueue (5 ms group commit)', levelQueue('grouped', {}), { persistent: true });
describeQueue(
  'LevelQueue (each append written at once, fsync)',
  levelQueue('sync', { sync: true, flushIntervalMs: 0 }),
  {
    persistent: true,
  },
);
