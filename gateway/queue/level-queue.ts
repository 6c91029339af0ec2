/**
 * The on-disk queue: LevelDB (classic-level) in `dir`, one key per message (see record-codec.ts),
 * composed of the store (level-store.ts: the handle and the serial chain every write goes through, so
 * memory always matches the disk), group commit (group-commit.ts: each `append` resolves once its batch
 * is written), the index (message-index.ts: counters, stored sizes and the tail in memory, initialised by
 * one scan at open; the seq reservation) and the bounds (queue-bounds.ts). Table: docs/queue.md.
 *
 * Reads see a message as soon as it is appended, before its batch is written ("write-behind" publishing):
 * a LevelDB write can stall for 100 ms or more under load (memtable flushes, compaction on a busy CPU),
 * and live data should not wait for it. This does not weaken durability: the message is deleted
 * only once it is both written and acknowledged (an ack is always chained after the write of the seqs it
 * names), and a message that was published before a crash took its unwritten batch was lost by no one:
 * the broker has it. `append` still resolves only once the batch is written.
 *
 * Seqs are reserved durably (seq-reservation.ts) before they can be read, so a message published before
 * its batch was written and then lost with the process does not leave its seq free for the next process.
 * Appends beyond `maxPendingBytes` of unwritten messages are refused (back-pressure); like a failed write
 * they are counted as not queued (not-queued.ts). Opening, damage and salvage: store-recovery.ts.
 * The durability contract, once for the whole project: docs/queue.md, "Durability".
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock } from '../../core/clock.ts';
import { AppendListeners } from './append-listeners.ts';
import { closedError } from './errors.ts';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_PENDING_BYTES, GroupCommit } from './group-commit.ts';
import { DEFAULT_TAIL_CACHE_BYTES, type LevelQueueOptions } from './level-queue-options.ts';
import { LevelStore } from './level-store.ts';
import { MessageIndex } from './message-index.ts';
import { type CommonQueueOptions, DEFAULT_DROP_LOG_INTERVAL_MS, DEFAULT_MAX_BYTES } from './options.ts';
import { removeOwner, writeOwner } from './owner-file.ts';
import type { MessageQueue, OutgoingMessage, QueuedMessage, QueueStats } from './queue.ts';
import { QueueBounds } from './queue-bounds.ts';
import { decodeValue, encodeValue, seqOfKey } from './record-codec.ts';
import { type OpenedStore, reportOpened, type StoreDamage } from './store-recovery.ts';

export { DEFAULT_MAX_PENDING_BYTES, PENDING_OVERHEAD_BYTES } from './group-commit.ts';
export { DEFAULT_TAIL_CACHE_BYTES, type LevelQueueOptions } from './level-queue-options.ts';
export { SEQ_RESERVATION_BLOCK } from './seq-reservation.ts';

export class LevelQueue implements MessageQueue {
  readonly #dir: string;
  readonly #log: CommonQueueOptions['log'];
  readonly #now: () => number;
  readonly #listeners: AppendListeners;
  readonly #store: LevelStore;
  readonly #index: MessageIndex;
  readonly #commit: GroupCommit;
  readonly #bounds: QueueBounds;
  #state: 'closed' | 'opening' | 'open' | 'closing' = 'closed';
  /** Seqs the previous process reserved but never stored (it stopped without closing), if any. */
  #unstored: { from: number; to: number } | undefined;
  /** What the open found wrong with the store, if anything. */
  #damage: StoreDamage | undefined;

  constructor(options: LevelQueueOptions) {
    this.#dir = options.dir;
    this.#log = options.log.child({ queue: options.dir });
    const clock = options.clock ?? systemClock;
    this.#now = options.now ?? (options.clock === undefined ? Date.now : () => clock.now());
    const dropLogIntervalMs = options.dropLogIntervalMs ?? DEFAULT_DROP_LOG_INTERVAL_MS;
    this.#listeners = new AppendListeners(this.#log);
    this.#store = new LevelStore(this.#dir, this.#log, options.sync ?? false);
    this.#index = new MessageIndex({
      dir: this.#dir,
      log: this.#log,
      tailCacheBytes: options.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES,
      isOpen: () => this.#state === 'open',
      isDegraded: () => this.#store.degraded,
      onReserved: () => this.#listeners.notify(),
    });
    this.#bounds = new QueueBounds(
      {
        log: this.#log,
        maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
        maxAgeSeconds: options.maxAgeSeconds,
        dropLogIntervalMs,
        now: this.#now,
        clock,
      },
      this.#store,
      this.#index,
      (seqs, what) => this.#delete(seqs, what),
    );
    const commitOptions = {
      dir: this.#dir,
      log: this.#log,
      dropLogIntervalMs,
      clock,
      flushIntervalMs: options.flushIntervalMs ?? 0,
      maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
    };
    this.#commit = new GroupCommit(this.#store, commitOptions, {
      written: async (batch) => {
        for (const append of batch) this.#index.written(append);
        // Bounds before resolving, so a producer that awaited its append sees stats within the bound.
        await this.#bounds
          .dropOverBound()
          .catch((err: unknown) =>
            this.#log.error({ err }, 'queue could not drop the oldest messages to stay within its bound'),
          );
      },
      // Not stored: no longer readable either (a copy already published is the broker's; its ack is ignored).
      notWritten: (batch) => {
        for (const append of batch) this.#index.notWritten(append);
      },
      // Readers were told at append; again now for one that found its next message evicted from the tail
      // before it was written (a stalled write under overload), which a disk read can return only now.
      resolved: () => this.#listeners.notify(),
    });
  }

  async open(): Promise<void> {
    if (this.#state !== 'closed') return;
    this.#state = 'opening';
    let opened: OpenedStore;
    try {
      await mkdir(dirname(this.#dir), { recursive: true });
      opened = await this.#store.open(this.#now());
      this.#index.opened(opened);
      this.#unstored = opened.unstored;
      this.#damage = opened.damage;
      await this.#index.reservation.reserve();
      await writeOwner(this.#dir);
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
    this.#state = 'open';
    this.#bounds.startAgeTimer();
    reportOpened(this.#log, opened);
  }

  append(messages: readonly OutgoingMessage[]): Promise<number[]> {
    if (this.#state !== 'open') return Promise.reject(closedError(this.#dir));
    if (messages.length === 0) return Promise.resolve([]);
    const enqueuedAt = this.#now();
    let values: Buffer[];
    try {
      values = messages.map((m) => encodeValue(m, enqueuedAt));
    } catch (err) {
      return Promise.reject(err);
    }
    const cost = GroupCommit.costOf(values);
    if (!this.#commit.admits(cost)) return this.#refuse(messages.length);
    // Readable at once (write-behind, see the header); the group commit makes them durable.
    const taken = this.#index.take(values, messages, enqueuedAt);
    const done = this.#commit.add(taken, cost);
    this.#index.reservation.reserveIfDue();
    if (this.#index.readableNow(taken.seqs[0]!)) this.#listeners.notify();
    return done;
  }

  async read(afterSeq: number, limit: number): Promise<QueuedMessage[]> {
    this.#requireOpen();
    if (limit <= 0) return [];
    if (this.#bounds.hasExpired()) await this.#store.serial(() => this.#bounds.dropExpired());
    const first = this.#index.first;
    const from = Math.max(0, Math.floor(afterSeq), first === undefined ? 0 : first - 1);
    const upTo = this.#index.reservation.upTo;
    // The live cursor asks for what was just appended: served from memory. Older pages come from disk.
    const fromTail = this.#index.readTail(from, limit);
    if (fromTail !== undefined) return fromTail;
    if (first === undefined || from >= upTo) return [];
    const out: QueuedMessage[] = [];
    for (const [key, value] of await this.#store.readRange(from, upTo, limit)) {
      const seq = seqOfKey(key);
      try {
        out.push(decodeValue(seq, value));
      } catch (err) {
        await this.#store.serial(() => this.#quarantine(key, value, err));
      }
    }
    return out;
  }

  /** One batch of deletes: the sizes in memory say which seqs are stored and what deleting them frees. */
  async ack(seqs: readonly number[]): Promise<void> {
    this.#requireOpen();
    if (seqs.length === 0) return;
    // A seq can be read (and acked) before its batch is written: queue that write ahead of this ack.
    if (this.#commit.hasPending) void this.#commit.flush();
    await this.#store.serial(() => {
      // Looked up inside the chain: an append or drop written just before this ack is taken into account.
      const stored = this.#index.storedOf(seqs);
      return this.#delete(stored, `acknowledge ${stored.length} messages`);
    });
  }

  onAppend(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  stats(): QueueStats {
    return {
      depth: this.#index.count,
      bytes: this.#index.bytes,
      oldestEnqueuedAt: this.#index.oldest?.enqueuedAt,
      dropped: this.#bounds.dropped,
      degraded: this.#store.degraded,
      nextSeq: this.#index.nextSeq,
      unstoredSeqs: this.#unstored,
      notQueued: this.#commit.notQueued(),
      pendingBytes: this.#commit.unwrittenBytes,
      storeDamage: this.#damage,
    };
  }

  /** Writes what is pending (appends already accepted are stored, not rejected), then closes. */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#bounds.stopAgeTimer();
    await this.#commit.flush().catch(() => undefined);
    await this.#store.settled();
    await this.#index.reservation.settled();
    if (this.#store.isOpen && !this.#commit.hasPending) await this.#index.recordCleanClose();
    this.#bounds.reportPending();
    this.#commit.close();
    await removeOwner(this.#dir).catch((err: unknown) =>
      this.#log.warn({ err }, `could not remove the queue's OWNER file in ${this.#dir}`),
    );
    await this.#store.close();
    this.#index.closed();
    this.#state = 'closed';
  }

  /** Back-pressure: the writes are behind by maxPendingBytes. The seqs are used up, so consumers see a gap. */
  #refuse(count: number): Promise<never> {
    this.#index.skip(count);
    return Promise.reject(this.#commit.refuse(count));
  }

  /**
   * Deletes stored messages (acked or dropped) in one batch, then forgets them in memory. Runs inside the
   * chain; `seqs` must be stored (the callers take them from the index or from disk).
   */
  async #delete(seqs: readonly number[], what: string): Promise<void> {
    if (seqs.length === 0) return;
    await this.#store.delete(seqs, what);
    await this.#index.removed(seqs, (seq) => this.#store.enqueuedAtOf(seq));
  }

  async #quarantine(key: Buffer, value: Buffer, err: unknown): Promise<void> {
    await this.#store.quarantine([[key, value, err]]);
    await this.#index.quarantined(seqOfKey(key), (seq) => this.#store.enqueuedAtOf(seq));
  }

  #requireOpen(): void {
    if (!this.#store.isOpen || this.#state === 'closed') throw closedError(this.#dir);
  }
}
