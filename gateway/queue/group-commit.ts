/**
 * Group commit for the LevelDB queue: appends wait here, unwritten, until one batch writes them all.
 *
 * Each batch is written as soon as the writer is free (`flushIntervalMs` 0, the default), and appends
 * arriving while a write is in flight form the next batch; a window > 0 also waits that long for more,
 * and a pending batch of `maxBatchBytes` is written without waiting. Each append's promise resolves
 * only once its batch is written (awaited: what that survives is in docs/queue.md).
 *
 * Byte-bounded: what is accepted and not yet written is counted (stored size plus PENDING_OVERHEAD_BYTES
 * per message), and `admits` refuses appends beyond `maxPendingBytes` (back-pressure), so memory stays
 * bounded while a write stalls. Refused appends and failed writes are counted as not queued
 * (not-queued.ts).
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../log.ts';
import { describeError, QueueError } from './errors.ts';
import { formatBound, formatBytes } from './format.ts';
import type { LevelStore } from './level-store.ts';
import type { TakenAppend } from './message-index.ts';
import { NotQueued, type NotQueuedCounts } from './not-queued.ts';
import { HIGH_WATER_KEY, seqValue } from './store-keys.ts';

/**
 * Memory an unwritten message takes beyond its stored bytes: its pending put, key and value buffers, tail
 * entry and message object. Measured at 565–600 bytes on Node 24 (children/stalled-writes.ts with 10 B,
 * 100 B and 1 KiB payloads), so the bound follows real memory for small messages too.
 */
export const PENDING_OVERHEAD_BYTES = 640;
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** 'q' + 8-byte seq (record-codec.ts). */
const KEY_BYTES = 9;

export interface PendingAppend extends TakenAppend {
  /** What it counts against maxPendingBytes until its batch is written. */
  readonly cost: number;
  readonly resolve: (seqs: number[]) => void;
  readonly reject: (err: unknown) => void;
}

/** What happens around a batch write: the queue's memory follows the outcome. */
export interface CommitOutcome {
  /** The batch is on disk; awaited before its appends resolve (bounds first, so stats are within them). */
  written(batch: readonly PendingAppend[]): Promise<void>;
  /** The batch could not be written: not stored (counted here). Its appends are rejected after this. */
  notWritten(batch: readonly PendingAppend[]): void;
  /** The appends of a written batch have resolved. */
  resolved(): void;
}

export interface GroupCommitOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly dropLogIntervalMs: number;
  readonly clock: Clock;
  readonly flushIntervalMs: number;
  readonly maxBatchBytes: number;
  readonly maxPendingBytes: number;
}

export class GroupCommit {
  readonly #store: LevelStore;
  readonly #options: GroupCommitOptions;
  readonly #outcome: CommitOutcome;
  readonly #notQueued: NotQueued;
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  /** Accepted and not yet written (pending or in the write in flight), as counted by maxPendingBytes. */
  #unwrittenBytes = 0;
  #flushTimer: TimerHandle | undefined;
  /** The batch write waiting in the chain, if any: new appends join it rather than queue another. */
  #flushQueued: Promise<void> | undefined;

  constructor(store: LevelStore, options: GroupCommitOptions, outcome: CommitOutcome) {
    this.#store = store;
    this.#options = options;
    this.#outcome = outcome;
    this.#notQueued = new NotQueued(options.log, options.maxPendingBytes, options.dropLogIntervalMs);
  }

  /** Bytes accepted and not yet written (what maxPendingBytes bounds). */
  get unwrittenBytes(): number {
    return this.#unwrittenBytes;
  }

  /** Messages handed over and not stored, by reason, since open. */
  notQueued(): NotQueuedCounts {
    return this.#notQueued.counts();
  }

  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  /** What appending these encoded values would count against the bound. */
  static costOf(values: readonly Buffer[]): number {
    return values.reduce((sum, value) => sum + KEY_BYTES + value.length + PENDING_OVERHEAD_BYTES, 0);
  }

  /** False when the writes are behind by maxPendingBytes (one append is always admitted when none are). */
  admits(cost: number): boolean {
    return this.#unwrittenBytes === 0 || this.#unwrittenBytes + cost <= this.#options.maxPendingBytes;
  }

  /** Back-pressure: counts `count` refused messages; returns the error their append rejects with. */
  refuse(count: number): QueueError {
    this.#notQueued.backPressure(count);
    return new QueueError(
      'QUEUE_BACK_PRESSURE',
      `queue ${this.#options.dir}: ${count} messages not queued: ${formatBytes(this.#unwrittenBytes)} are waiting to be written (bound ${formatBound(this.#options.maxPendingBytes)}); the disk is not keeping up`,
    );
  }

  /** Logs the tail of a not-queued burst (at close). */
  close(): void {
    this.#notQueued.close();
  }

  /** Queues an append for the next batch; resolves with its seqs once that batch is written. */
  add(append: TakenAppend, cost: number): Promise<number[]> {
    this.#unwrittenBytes += cost;
    return new Promise<number[]>((resolve, reject) => {
      const { seqs, puts, bytes, enqueuedAt } = append;
      this.#pending.push({ seqs, puts, bytes, enqueuedAt, cost, resolve, reject });
      this.#pendingBytes += append.bytes;
      this.#schedule();
    });
  }

  /**
   * Queues one batch write behind earlier writes. The batch is taken when the write starts, not now, so
   * appends arriving while a write is in flight join the next batch: even with flushIntervalMs 0 a busy
   * queue commits in groups instead of one LevelDB write (and fsync) per append.
   */
  flush(): Promise<void> {
    if (this.#flushTimer !== undefined) this.#options.clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#flushQueued !== undefined) return this.#flushQueued;
    if (this.#pending.length === 0) return this.#store.settled();
    const queued = this.#store.serial(() => {
      this.#flushQueued = undefined;
      const batch = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      return batch.length === 0 ? Promise.resolve() : this.#write(batch);
    });
    this.#flushQueued = queued;
    return queued;
  }

  #schedule(): void {
    if (this.#options.flushIntervalMs === 0 || this.#pendingBytes >= this.#options.maxBatchBytes) {
      void this.flush();
    } else if (this.#flushTimer === undefined) {
      this.#flushTimer = this.#options.clock.setTimeout(
        () => void this.flush(),
        this.#options.flushIntervalMs,
      );
    }
  }

  async #write(batch: PendingAppend[]): Promise<void> {
    const ops: { type: 'put'; key: Buffer; value: Buffer }[] = batch.flatMap((a) => a.puts);
    const lastSeq = batch.at(-1)?.seqs.at(-1) ?? 0;
    ops.push({ type: 'put', key: HIGH_WATER_KEY, value: seqValue(lastSeq) });
    const cost = batch.reduce((sum, append) => sum + append.cost, 0);
    try {
      await this.#store.write(ops, `store ${ops.length - 1} messages`);
    } catch (err) {
      this.#unwrittenBytes -= cost;
      this.#notQueued.writeFailed(ops.length - 1, describeError(err));
      this.#outcome.notWritten(batch);
      for (const append of batch) append.reject(err);
      return;
    }
    this.#unwrittenBytes -= cost;
    await this.#outcome.written(batch);
    for (const append of batch) append.resolve(append.seqs);
    this.#outcome.resolved();
  }
}
