import { MemoryQueue } from '../../../gateway/queue/memory-queue.ts';
import { describeQueue } from './queue-suite.ts';

describeQueue(
  'MemoryQueue',
  async (options) => {
    const queue = new MemoryQueue(options);
    await queue.open();
    return queue;
  },
  { persistent: false },
);
