/**
 * In-memory queue with the same semantics as LevelQueue (order, seq, bounds, acks) but lost on restart:
 * for tests and demos only. The messages live in an unbounded TailCache (the structure that holds the
 * LevelDB queue's newest messages): seq-sorted, acks mark entries, O(log n) read and ack with a large backlog.
 */
import { AppendListeners } from './append-listeners.ts';
import { DropReporter } from './drop-reporter.ts';
import { closedError } from './errors.ts';
import { type CommonQueueOptions, DEFAULT_DROP_LOG_INTERVAL_MS, DEFAULT_MAX_BYTES } from './options.ts';
import type { MessageQueue, OutgoingMessage, QueuedMessage, QueueStats } from './queue.ts';
import { storedSize } from './record-codec.ts';
import { TailCache } from './tail-cache.ts';

export type MemoryQueueOptions = CommonQueueOptions;

export class MemoryQueue implements MessageQueue {
  readonly #maxBytes: number;
  readonly #maxAgeMs: number | undefined;
  readonly #now: () => number;
  readonly #listeners: AppendListeners;
  readonly #drops: DropReporter;
  readonly #messages = new TailCache(Number.POSITIVE_INFINITY, 1);
  #nextSeq = 1;
  #depth = 0;
  #dropped = 0;
  #open = false;

  constructor(options: MemoryQueueOptions) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxAgeMs = options.maxAgeSeconds === undefined ? undefined : options.maxAgeSeconds * 1000;
    this.#now = options.now ?? Date.now;
    const log = options.log.child({ queue: 'memory' });
    this.#listeners = new AppendListeners(log);
    this.#drops = new DropReporter(
      log,
      { maxBytes: this.#maxBytes, maxAgeSeconds: options.maxAgeSeconds },
      options.dropLogIntervalMs ?? DEFAULT_DROP_LOG_INTERVAL_MS,
    );
  }

  async open(): Promise<void> {
    this.#open = true;
  }

  async append(messages: readonly OutgoingMessage[]): Promise<number[]> {
    if (!this.#open) throw closedError('(memory)');
    const enqueuedAt = this.#now();
    const seqs: number[] = [];
    for (const m of messages) {
      const seq = this.#nextSeq++;
      const message: QueuedMessage = {
        seq,
        enqueuedAt,
        topic: m.topic,
        payload: Buffer.from(m.payload),
        qos: m.qos,
        retain: m.retain,
      };
      const size = storedSize(m);
      this.#messages.add(message, size);
      this.#depth++;
      seqs.push(seq);
    }
    this.#enforceBounds();
    if (seqs.length > 0) this.#listeners.notify();
    return seqs;
  }

  async read(afterSeq: number, limit: number): Promise<QueuedMessage[]> {
    if (!this.#open) throw closedError('(memory)');
    this.#enforceAge();
    return this.#messages.read(afterSeq, limit);
  }

  async ack(seqs: readonly number[]): Promise<void> {
    if (!this.#open) throw closedError('(memory)');
    for (const seq of seqs) this.#remove(seq);
  }

  onAppend(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  stats(): QueueStats {
    return {
      depth: this.#depth,
      bytes: this.#messages.bytes,
      oldestEnqueuedAt: this.#messages.oldest()?.enqueuedAt,
      dropped: this.#dropped,
      degraded: false,
      nextSeq: this.#nextSeq,
      // Nothing to write, so nothing fails or waits to be written.
      notQueued: { write_failed: 0, back_pressure: 0 },
      pendingBytes: 0,
    };
  }

  /** Keeps the contents: a memory queue reopened in the same process still holds its messages. */
  async close(): Promise<void> {
    this.#open = false;
    this.#drops.close();
  }

  #enforceBounds(): void {
    let dropped = 0;
    while (this.#messages.bytes > this.#maxBytes) {
      const oldest = this.#messages.oldest();
      if (oldest === undefined) break;
      this.#remove(oldest.seq);
      dropped++;
    }
    this.#countDrops('bytes', dropped);
    this.#enforceAge();
  }

  #enforceAge(): void {
    if (this.#maxAgeMs === undefined) return;
    const cutoff = this.#now() - this.#maxAgeMs;
    let dropped = 0;
    for (let oldest = this.#messages.oldest(); oldest !== undefined; oldest = this.#messages.oldest()) {
      if (oldest.enqueuedAt >= cutoff) break;
      this.#remove(oldest.seq);
      dropped++;
    }
    this.#countDrops('age', dropped);
  }

  #countDrops(reason: 'bytes' | 'age', count: number): void {
    if (count === 0) return;
    this.#dropped += count;
    this.#drops.report(reason, count);
  }

  #remove(seq: number): void {
    if (this.#messages.remove(seq) > 0) this.#depth--;
  }
}
