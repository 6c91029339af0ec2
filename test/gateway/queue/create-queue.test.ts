import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../../gateway/queue/index.ts';
import { LevelQueue } from '../../../gateway/queue/level-queue.ts';
import { MemoryQueue } from '../../../gateway/queue/memory-queue.ts';
import { captureLog } from './log-capture.ts';

let stateDir = '';
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'fieldbridge-create-queue-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('createQueue', () => {
  it('builds a LevelQueue in <stateDir>/queue by default', async () => {
    const queue = createQueue({}, stateDir, captureLog().log);
    expect(queue).toBeInstanceOf(LevelQueue);
    await queue.open();
    await queue.append([{ topic: 't', payload: Buffer.from('x'), qos: 1, retain: false }]);
    await queue.close();
    await expect(access(join(stateDir, 'queue', 'CURRENT'))).resolves.toBeUndefined();
  });

  it('honours an explicit dir', async () => {
    const queue = createQueue({ dir: join(stateDir, 'elsewhere') }, stateDir, captureLog().log);
    await queue.open();
    await queue.close();
    await expect(access(join(stateDir, 'elsewhere', 'CURRENT'))).resolves.toBeUndefined();
  });

  it('builds a MemoryQueue for type "memory" and warns that it is volatile', () => {
    const captured = captureLog();
    expect(createQueue({ type: 'memory', maxBytes: 4096 }, stateDir, captured.log)).toBeInstanceOf(
      MemoryQueue,
    );
    expect(captured.messages(40)).toEqual([
      'queue type "memory": messages not yet published are lost on restart (tests and demos only)',
    ]);
  });
});
