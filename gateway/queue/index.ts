/** Builds the queue the gateway config asks for. */
import { join, resolve } from 'node:path';
import type { QueueConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { LevelQueue } from './level-queue.ts';
import { MemoryQueue } from './memory-queue.ts';
import type { MessageQueue } from './queue.ts';

export { LevelQueue, type LevelQueueOptions } from './level-queue.ts';
export { MemoryQueue, type MemoryQueueOptions } from './memory-queue.ts';
export type { MessageQueue, OutgoingMessage, QueuedMessage, QueueStats } from './queue.ts';

/** Nothing is opened here: the gateway calls `open()` in its start sequence. */
export function createQueue(config: QueueConfig, stateDir: string, log: Logger): MessageQueue {
  const bounds = { log, maxBytes: config.maxBytes, maxAgeSeconds: config.maxAgeSeconds };
  if (config.type === 'memory') {
    log.warn('queue type "memory": messages not yet published are lost on restart (tests and demos only)');
    return new MemoryQueue(bounds);
  }
  return new LevelQueue({
    ...bounds,
    dir: resolve(config.dir ?? join(stateDir, 'queue')),
    sync: config.sync,
    flushIntervalMs: config.flushIntervalMs,
    maxPendingBytes: config.maxPendingBytes,
  });
}
