/**
 * In-memory queue with the same semantics as LevelQueue (order, seq, bounds, acks) but lost on restart:
 * for tests and demos only. Entries sit in a seq-sorted array; acks mark entries deleted and the array is
 * compacted when the dead head grows, so read/ack stay O(log n) with a large backlog.
 */
import { AppendListeners } from './append-listeners.ts';
import { DropReporter } from './drop-reporter.ts';
import { closedError } from './errors.ts';
import { type CommonQueueOptions, DEFAULT_DROP_LOG_INTERVAL_MS, DEFAULT_MAX_BYTES } from './options.ts';
import type { MessageQueue, OutgoingMessage, QueuedMessage, QueueStats } from './queue.ts';
import { storedSize } from './record-codec.ts';

interface Entry {
  readonly message: QueuedMessage;
  readonly size: number;
  deleted: boolean;
}

export type MemoryQueueOptions = CommonQueueOptions;

export class MemoryQueue implements MessageQueue {
  readonly #maxBytes: number;
  readonly #maxAgeMs: number | undefined;
  readonly #now: () => number;
  readonly #listeners: AppendListeners;
  readonly #drops: DropReporter;
  #entries: Entry[] = [];
  /** Index of the first entry that may be live; everything before it is deleted. */
  #head = 0;
  #nextSeq = 1;
  #depth = 0;
  #bytes = 0;
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
      this.#entries.push({ message, size, deleted: false });
      this.#depth++;
      this.#bytes += size;
      seqs.push(seq);
    }
    this.#enforceBounds();
    if (seqs.length > 0) this.#listeners.notify();
    return seqs;
  }

  async read(afterSeq: number, limit: number): Promise<QueuedMessage[]> {
    if (!this.#open) throw closedError('(memory)');
    this.#enforceAge();
    const out: QueuedMessage[] = [];
    for (let i = this.#firstIndexAfter(afterSeq); i < this.#entries.length && out.length < limit; i++) {
      const entry = this.#entries[i];
      if (entry !== undefined && !entry.deleted) out.push(entry.message);
    }
    return out;
  }

  async ack(seqs: readonly number[]): Promise<void> {
    if (!this.#open) throw closedError('(memory)');
    for (const seq of seqs) {
      const entry = this.#entries[this.#firstIndexAfter(seq - 1)];
      if (entry !== undefined && entry.message.seq === seq) this.#delete(entry);
    }
    this.#advanceHead();
  }

  onAppend(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  stats(): QueueStats {
    return {
      depth: this.#depth,
      bytes: this.#bytes,
      oldestEnqueuedAt: this.#oldest()?.message.enqueuedAt,
      dropped: this.#dropped,
      degraded: false,
      nextSeq: this.#nextSeq,
    };
  }

  /** Keeps the contents: a memory queue reopened in the same process still holds its messages. */
  async close(): Promise<void> {
    this.#open = false;
    this.#drops.close();
  }

  #enforceBounds(): void {
    let dropped = 0;
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#oldest();
      if (oldest === undefined) break;
      this.#delete(oldest);
      this.#advanceHead();
      dropped++;
    }
    this.#countDrops('bytes', dropped);
    this.#enforceAge();
  }

  #enforceAge(): void {
    if (this.#maxAgeMs === undefined) return;
    const cutoff = this.#now() - this.#maxAgeMs;
    let dropped = 0;
    for (let oldest = this.#oldest(); oldest !== undefined; oldest = this.#oldest()) {
      if (oldest.message.enqueuedAt >= cutoff) break;
      this.#delete(oldest);
      this.#advanceHead();
      dropped++;
    }
    this.#countDrops('age', dropped);
  }

  #countDrops(reason: 'bytes' | 'age', count: number): void {
    if (count === 0) return;
    this.#dropped += count;
    this.#drops.report(reason, count);
  }

  #delete(entry: Entry): void {
    if (entry.deleted) return;
    entry.deleted = true;
    this.#depth--;
    this.#bytes -= entry.size;
  }

  #oldest(): Entry | undefined {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i];
      if (entry !== undefined && !entry.deleted) return entry;
    }
    return undefined;
  }

  #advanceHead(): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]?.deleted === true) this.#head++;
    // Compact once the dead prefix dominates, so memory follows the live depth, amortised O(1) per ack.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Index of the first entry (from head) whose seq is > afterSeq: binary search, entries are seq-sorted. */
  #firstIndexAfter(afterSeq: number): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#entries[mid]?.message.seq ?? Number.POSITIVE_INFINITY) > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
