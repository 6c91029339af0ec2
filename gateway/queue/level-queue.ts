/**
 * The on-disk queue: LevelDB (classic-level) in `dir`, one key per message (see record-codec.ts).
 *
 * Group commit: each batch is written as soon as the writer is free (`flushIntervalMs` 0, the default),
 * and appends arriving while a write is in flight form the next batch; a window > 0 also waits that long
 * for more. Each `append` resolves once its batch is written (what that survives: docs/queue.md).
 *
 * Counters (depth, bytes, oldest) and the stored size of every message (stored-sizes.ts) live in memory,
 * initialised by one scan at open, so acks and the byte bound delete without reading values back. The
 * newest messages are also kept decoded in memory (tail-cache.ts) so live reads skip LevelDB. All writes
 * (append batches, acks, drops) go through one serial chain so memory always matches what is on disk.
 *
 * Reads see a message as soon as it is appended, before its batch is written ("write-behind" publishing):
 * a LevelDB write can stall for 100 ms or more under load (memtable flushes, compaction on a busy CPU),
 * and live data should not wait for it. This does not weaken the bound above: the message is deleted
 * only once it is both written and acknowledged (an ack is always chained after the write of the seqs it
 * names), and a message that was published before a crash took its unwritten batch was lost by no one:
 * the broker has it. `append` still resolves only once the batch is written.
 *
 * Seqs are reserved durably before they can be published (the seq ledger, seq-ledger.ts: a file outside
 * LevelDB, fsynced, a block at a time): a message published before its batch was written, then lost with
 * the process, must not leave its seq free for the next process. A clean close gives the unused part of
 * the block back and records what is stored; after a crash the next process starts above the reservation
 * and reports the range it skips (docs/delivery.md). Opening, damage and salvage: store-recovery.ts.
 *
 * Memory is bounded while a write stalls: appends beyond `maxPendingBytes` of unwritten messages are
 * refused (back-pressure), and like a failed write they are counted as not queued (not-queued.ts).
 * The durability contract, once for the whole project: docs/queue.md, "Durability".
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppendListeners } from './append-listeners.ts';
import { DropReporter } from './drop-reporter.ts';
import { closedError, describeError, QueueError } from './errors.ts';
import { formatBound, formatBytes, formatCount } from './format.ts';
import { NotQueued } from './not-queued.ts';
import { type CommonQueueOptions, DEFAULT_DROP_LOG_INTERVAL_MS, DEFAULT_MAX_BYTES } from './options.ts';
import { removeOwner, writeOwner } from './owner-file.ts';
import type { MessageQueue, OutgoingMessage, QueuedMessage, QueueStats } from './queue.ts';
import {
  decodeValue,
  encodeValue,
  enqueuedAtOf,
  MESSAGE_KEY_END,
  messageKey,
  messageOfRecord,
  seqOfKey,
} from './record-codec.ts';
import { SeqReservation } from './seq-reservation.ts';
import { type BatchOp, type Db, ENCODING, HIGH_WATER_KEY, seqValue } from './store-keys.ts';
import { openStore, type StoreDamage } from './store-recovery.ts';
import { quarantineOps } from './store-scan.ts';
import { StoredSizes } from './stored-sizes.ts';
import { TailCache } from './tail-cache.ts';

export interface LevelQueueOptions extends CommonQueueOptions {
  /** The LevelDB directory (created if missing). */
  readonly dir: string;
  /** fsync every batch (see the durability bound above). Default false. */
  readonly sync?: boolean | undefined;
  /**
   * Group-commit window in ms. Default 0: write as soon as the writer is free; appends arriving during a
   * write join the next batch (measured up to 4× faster than a 5 ms window, and no timer wait at idle).
   */
  readonly flushIntervalMs?: number | undefined;
  /** Bytes (stored size) of the newest messages kept in memory for live reads. Default 16 MiB; 0 = off. */
  readonly tailCacheBytes?: number | undefined;
  /** A pending batch this big is written without waiting for the window. Default 4 MiB. */
  readonly maxBatchBytes?: number | undefined;
  /**
   * Bound on the messages accepted and not yet written (stored size plus PENDING_OVERHEAD_BYTES each):
   * beyond it appends are refused (back-pressure), counted as not queued. Default 64 MiB.
   */
  readonly maxPendingBytes?: number | undefined;
}

interface PendingAppend {
  readonly seqs: number[];
  /** One put per seq, in the same order. */
  readonly puts: { type: 'put'; key: Buffer; value: Buffer }[];
  readonly bytes: number;
  /** What it counts against maxPendingBytes until its batch is written. */
  readonly cost: number;
  readonly enqueuedAt: number;
  readonly resolve: (seqs: number[]) => void;
  readonly reject: (err: unknown) => void;
}

export { SEQ_RESERVATION_BLOCK } from './seq-reservation.ts';
export const DEFAULT_TAIL_CACHE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;
/**
 * Memory an unwritten message takes beyond its stored bytes: its pending put, key and value buffers, tail
 * entry and message object. Measured at 565–600 bytes on Node 24 (children/stalled-writes.ts with 10 B,
 * 100 B and 1 KiB payloads), so the bound follows real memory for small messages too.
 */
export const PENDING_OVERHEAD_BYTES = 640;

export class LevelQueue implements MessageQueue {
  readonly #dir: string;
  readonly #log: CommonQueueOptions['log'];
  readonly #sync: boolean;
  readonly #flushIntervalMs: number;
  readonly #maxBatchBytes: number;
  readonly #maxPendingBytes: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number | undefined;
  readonly #now: () => number;
  readonly #listeners: AppendListeners;
  readonly #drops: DropReporter;
  readonly #notQueued: NotQueued;
  #db: Db | undefined;
  #state: 'closed' | 'opening' | 'open' | 'closing' = 'closed';
  /** Serialises every write so counters and disk agree; never rejects (links catch their own errors). */
  #chain: Promise<void> = Promise.resolve();
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  /** Accepted and not yet written (pending or in the write in flight), as counted by maxPendingBytes. */
  #unwrittenBytes = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  /** The batch write waiting in the chain, if any: new appends join it rather than queue another. */
  #flushQueued: Promise<void> | undefined;
  #ageTimer: NodeJS.Timeout | undefined;
  #nextSeq = 1;
  /** Size of every stored message by seq; its `first` is where iterators start (skipping the tombstones). */
  #sizes = new StoredSizes();
  readonly #tail: TailCache;
  #bytes = 0;
  #oldest: { seq: number; enqueuedAt: number } | undefined;
  #dropped = 0;
  #degraded = false;
  /** Seqs up to `upTo` are durably reserved: only they may be read (and published). */
  readonly #reservation: SeqReservation;
  /** Seqs the previous process reserved but never stored (it stopped without closing), if any. */
  #unstored: { from: number; to: number } | undefined;
  /** What the open found wrong with the store, if anything. */
  #damage: StoreDamage | undefined;

  constructor(options: LevelQueueOptions) {
    this.#dir = options.dir;
    this.#log = options.log.child({ queue: options.dir });
    this.#sync = options.sync ?? false;
    this.#flushIntervalMs = options.flushIntervalMs ?? 0;
    this.#maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.#maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxAgeMs = options.maxAgeSeconds === undefined ? undefined : options.maxAgeSeconds * 1000;
    this.#now = options.now ?? Date.now;
    this.#tail = new TailCache(options.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES, 1);
    this.#listeners = new AppendListeners(this.#log);
    this.#drops = new DropReporter(
      this.#log,
      { maxBytes: this.#maxBytes, maxAgeSeconds: options.maxAgeSeconds },
      options.dropLogIntervalMs ?? DEFAULT_DROP_LOG_INTERVAL_MS,
    );
    this.#reservation = new SeqReservation({
      dir: this.#dir,
      log: this.#log,
      nextSeq: () => this.#nextSeq,
      isOpen: () => this.#state === 'open',
      isDegraded: () => this.#degraded,
      onReserved: () => this.#listeners.notify(),
    });
    this.#notQueued = new NotQueued(
      this.#log,
      this.#maxPendingBytes,
      options.dropLogIntervalMs ?? DEFAULT_DROP_LOG_INTERVAL_MS,
    );
  }

  async open(): Promise<void> {
    if (this.#state !== 'closed') return;
    this.#state = 'opening';
    try {
      await mkdir(dirname(this.#dir), { recursive: true });
      await this.#openStore();
      await this.#reservation.reserve();
      await writeOwner(this.#dir);
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
    this.#state = 'open';
    this.#startAgeTimer();
    if (this.#unstored !== undefined) {
      const { from, to } = this.#unstored;
      this.#log.warn(
        { unstoredFrom: from, unstoredTo: to, nextSeq: this.#nextSeq },
        `queue was not closed by the previous process: seqs ${from}–${to} were reserved by it and are never used again; any it published are at the broker, the rest were not stored (see docs/delivery.md)`,
      );
    }
    this.#log.info(
      { depth: this.#sizes.count, bytes: this.#bytes, nextSeq: this.#nextSeq },
      this.#sizes.count === 0
        ? 'queue opened: empty'
        : `queue opened: ${formatCount(this.#sizes.count)} messages (${formatBytes(this.#bytes)}) waiting from before the restart`,
    );
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
    const cost = values.reduce((sum, value) => sum + KEY_BYTES + value.length + PENDING_OVERHEAD_BYTES, 0);
    if (this.#unwrittenBytes > 0 && this.#unwrittenBytes + cost > this.#maxPendingBytes) {
      return this.#refuse(messages.length);
    }
    // Seqs are taken synchronously, in call order: concurrent appends keep their order on disk.
    const seqs: number[] = [];
    const puts: PendingAppend['puts'] = [];
    let bytes = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      const seq = this.#nextSeq++;
      const key = messageKey(seq);
      seqs.push(seq);
      puts.push({ type: 'put', key, value });
      const size = key.length + value.length;
      bytes += size;
      // Readable at once (write-behind, see the header); the write below makes it durable.
      this.#tail.add(messageOfRecord(seq, value, messages[i]!, enqueuedAt), size);
    }
    this.#unwrittenBytes += cost;
    const done = new Promise<number[]>((resolve, reject) => {
      this.#pending.push({ seqs, puts, bytes, cost, enqueuedAt, resolve, reject });
      this.#pendingBytes += bytes;
      this.#scheduleFlush();
    });
    this.#reservation.reserveIfDue();
    // With the tail off (or already evicted) readers must wait for the write; beyond the reservation for
    // the reservation: told after it.
    if (this.#tail.covers(seqs[0]!) && seqs[0]! <= this.#reservation.upTo) this.#listeners.notify();
    return done;
  }

  async read(afterSeq: number, limit: number): Promise<QueuedMessage[]> {
    this.#requireOpen();
    if (limit <= 0) return [];
    if (this.#hasExpired()) await this.#serial(() => this.#dropExpired());
    const first = this.#sizes.first;
    const from = Math.max(0, Math.floor(afterSeq), first === undefined ? 0 : first - 1);
    const upTo = this.#reservation.upTo;
    // The live cursor asks for what was just appended: served from memory. Older pages come from disk.
    if (this.#tail.covers(from + 1)) return this.#tail.read(from, limit, upTo);
    if (first === undefined || from >= upTo) return [];
    const entries = await (await this.#store())
      .iterator({ ...ENCODING, gt: messageKey(from), lte: messageKey(upTo), limit })
      .all();
    const out: QueuedMessage[] = [];
    for (const [key, value] of entries) {
      const seq = seqOfKey(key);
      try {
        out.push(decodeValue(seq, value));
      } catch (err) {
        await this.#serial(() => this.#quarantine([[key, value, err]]));
      }
    }
    return out;
  }

  /** One batch of deletes: the sizes in memory say which seqs are stored and what deleting them frees. */
  async ack(seqs: readonly number[]): Promise<void> {
    this.#requireOpen();
    if (seqs.length === 0) return;
    // A seq can be read (and acked) before its batch is written: queue that write ahead of this ack.
    if (this.#pending.length > 0) void this.#flush();
    await this.#serial(() => {
      // Looked up inside the chain: an append or drop written just before this ack is taken into account.
      const stored = [...new Set(seqs)].filter((seq) => this.#sizes.sizeOf(seq) > 0);
      return this.#delete(stored, `acknowledge ${stored.length} messages`);
    });
  }

  onAppend(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  stats(): QueueStats {
    return {
      depth: this.#sizes.count,
      bytes: this.#bytes,
      oldestEnqueuedAt: this.#oldest?.enqueuedAt,
      dropped: this.#dropped,
      degraded: this.#degraded,
      nextSeq: this.#nextSeq,
      unstoredSeqs: this.#unstored,
      notQueued: this.#notQueued.counts(),
      pendingBytes: this.#unwrittenBytes,
      storeDamage: this.#damage,
    };
  }

  /** Writes what is pending (appends already accepted are stored, not rejected), then closes. */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    if (this.#ageTimer !== undefined) clearInterval(this.#ageTimer);
    this.#ageTimer = undefined;
    await this.#flush().catch(() => undefined);
    await this.#chain;
    await this.#reservation.settled();
    if (this.#db !== undefined && this.#pending.length === 0)
      await this.#reservation.recordCleanClose(this.#sizes);
    this.#drops.close();
    this.#notQueued.close();
    await removeOwner(this.#dir).catch((err: unknown) =>
      this.#log.warn({ err }, `could not remove the queue's OWNER file in ${this.#dir}`),
    );
    await this.#db?.close();
    this.#db = undefined;
    this.#sizes = new StoredSizes();
    this.#tail.reset(this.#nextSeq);
    this.#state = 'closed';
  }

  // --- opening -------------------------------------------------------------------------------------

  /** Opens (recovering or salvaging a damaged store: store-recovery.ts) and takes over its counters. */
  async #openStore(): Promise<void> {
    const opened = await openStore(this.#dir, this.#log, this.#now());
    const { scan } = opened;
    this.#sizes = scan.sizes;
    this.#bytes = scan.bytes;
    this.#oldest = scan.oldest;
    this.#nextSeq = opened.nextSeq;
    this.#reservation.reset(opened.nextSeq - 1);
    this.#unstored = opened.unstored;
    this.#damage = opened.damage;
    // The backlog stays on disk; the tail fills with what is appended from now on.
    this.#tail.reset(this.#nextSeq);
    this.#db = opened.db;
  }

  // --- back-pressure -------------------------------------------------------------------------------

  /** Back-pressure: the writes are behind by maxPendingBytes. The seqs are used up, so consumers see a gap. */
  #refuse(count: number): Promise<never> {
    this.#nextSeq += count;
    this.#reservation.reserveIfDue();
    this.#notQueued.backPressure(count);
    return Promise.reject(
      new QueueError(
        'QUEUE_BACK_PRESSURE',
        `queue ${this.#dir}: ${count} messages not queued: ${formatBytes(this.#unwrittenBytes)} are waiting to be written (bound ${formatBound(this.#maxPendingBytes)}); the disk is not keeping up`,
      ),
    );
  }

  // --- writing -------------------------------------------------------------------------------------

  #scheduleFlush(): void {
    if (this.#flushIntervalMs === 0 || this.#pendingBytes >= this.#maxBatchBytes) {
      void this.#flush();
    } else if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => void this.#flush(), this.#flushIntervalMs);
    }
  }

  /**
   * Queues one batch write behind earlier writes. The batch is taken when the write starts, not now, so
   * appends arriving while a write is in flight join the next batch: even with flushIntervalMs 0 a busy
   * queue commits in groups instead of one LevelDB write (and fsync) per append.
   */
  #flush(): Promise<void> {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#flushQueued !== undefined) return this.#flushQueued;
    if (this.#pending.length === 0) return this.#chain;
    const queued = this.#serial(() => {
      this.#flushQueued = undefined;
      const batch = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      return batch.length === 0 ? Promise.resolve() : this.#writeAppends(batch);
    });
    this.#flushQueued = queued;
    return queued;
  }

  async #writeAppends(batch: PendingAppend[]): Promise<void> {
    const ops: BatchOp[] = batch.flatMap((a) => a.puts);
    const lastSeq = batch.at(-1)?.seqs.at(-1) ?? 0;
    ops.push({ type: 'put', key: HIGH_WATER_KEY, value: seqValue(lastSeq) });
    const cost = batch.reduce((sum, append) => sum + append.cost, 0);
    try {
      await this.#write(ops, `store ${ops.length - 1} messages`);
    } catch (err) {
      this.#unwrittenBytes -= cost;
      // Not stored: no longer readable either (a copy already published is the broker's; its ack is ignored).
      this.#notQueued.writeFailed(ops.length - 1, describeError(err));
      for (const append of batch) {
        for (const seq of append.seqs) this.#tail.remove(seq);
        append.reject(err);
      }
      return;
    }
    this.#unwrittenBytes -= cost;
    for (const append of batch) {
      append.seqs.forEach((seq, i) => {
        const put = append.puts[i];
        if (put !== undefined) this.#sizes.add(seq, put.key.length + put.value.length);
      });
      this.#bytes += append.bytes;
      const first = append.seqs[0];
      if (this.#oldest === undefined && first !== undefined) {
        this.#oldest = { seq: first, enqueuedAt: append.enqueuedAt };
      }
    }
    // Bounds before resolving, so a producer that awaited its append sees stats within the bound.
    await this.#dropOverBound().catch((err: unknown) =>
      this.#log.error({ err }, 'queue could not drop the oldest messages to stay within its bound'),
    );
    for (const append of batch) append.resolve(append.seqs);
    // Readers were told at append; again now for one that found its next message evicted from the tail
    // before it was written (a stalled write under overload), which a disk read can return only now.
    this.#listeners.notify();
  }

  /**
   * One LevelDB batch, retried once on a fresh handle: after a failed write LevelDB keeps its background
   * error and refuses every later write until reopened. Batches are atomic and retrying identical puts
   * is idempotent, so the retry cannot duplicate. A write that still fails rejects with a clear error;
   * the next write tries again, so the queue recovers by itself once space is freed.
   */
  async #write(ops: BatchOp[], what: string): Promise<void> {
    try {
      await (await this.#store()).batch(ops, { sync: this.#sync });
    } catch (first) {
      this.#setDegraded(first);
      try {
        await this.#reopen();
        await (await this.#store()).batch(ops, { sync: this.#sync });
      } catch (second) {
        throw new QueueError(
          'QUEUE_WRITE_FAILED',
          `queue ${this.#dir}: could not ${what}: ${describeError(second)} (queue degraded; it retries with the next write)`,
          { cause: second },
        );
      }
    }
    this.#setHealthy();
  }

  async #reopen(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    await db.close().catch(() => undefined);
    await db.open();
  }

  /** The open handle, reopening it if a failed recovery left it closed. */
  async #store(): Promise<Db> {
    const db = this.#requireOpen();
    if (db.status !== 'open') await db.open();
    return db;
  }

  #setDegraded(err: unknown): void {
    if (this.#degraded) return;
    this.#degraded = true;
    this.#log.error(
      { err, dir: this.#dir },
      `queue write failed (${describeError(err)}): queue degraded, reopening the store and retrying; appends are rejected until a write succeeds`,
    );
  }

  #setHealthy(): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.#log.info({ dir: this.#dir }, 'queue writes succeed again: no longer degraded');
  }

  // --- bounds --------------------------------------------------------------------------------------

  /** Drops the oldest messages until the bytes fit: the sizes in memory say how many, no disk reads. */
  async #dropOverBound(): Promise<void> {
    if (this.#bytes <= this.#maxBytes) return;
    const seqs: number[] = [];
    let freed = 0;
    this.#sizes.forEachFromOldest((seq, size) => {
      if (this.#bytes - freed <= this.#maxBytes) return false;
      seqs.push(seq);
      freed += size;
      return true;
    });
    await this.#delete(seqs, `drop ${seqs.length} oldest messages`);
    this.#countDrops('bytes', seqs.length);
    await this.#dropExpired();
  }

  #hasExpired(): boolean {
    return (
      this.#maxAgeMs !== undefined &&
      this.#oldest !== undefined &&
      this.#oldest.enqueuedAt < this.#now() - this.#maxAgeMs
    );
  }

  /** Drops messages older than the age bound; enqueuedAt is in the values, so this one reads the head. */
  async #dropExpired(): Promise<void> {
    const first = this.#sizes.first;
    if (!this.#hasExpired() || this.#maxAgeMs === undefined || first === undefined) return;
    const cutoff = this.#now() - this.#maxAgeMs;
    const seqs: number[] = [];
    const iterator = (await this.#store()).iterator({
      ...ENCODING,
      gte: messageKey(first),
      lt: MESSAGE_KEY_END,
    });
    try {
      scan: for (let chunk = await iterator.nextv(256); chunk.length > 0; chunk = await iterator.nextv(256)) {
        for (const [key, value] of chunk) {
          if (value.length >= 8 && enqueuedAtOf(value) >= cutoff) break scan;
          seqs.push(seqOfKey(key));
        }
      }
    } finally {
      await iterator.close();
    }
    await this.#delete(seqs, `drop ${seqs.length} expired messages`);
    this.#countDrops('age', seqs.length);
  }

  #countDrops(reason: 'bytes' | 'age', count: number): void {
    if (count === 0) return;
    this.#dropped += count;
    this.#drops.report(reason, count);
  }

  /**
   * Deletes stored messages (acked or dropped) in one batch, then forgets them in memory. Runs inside the
   * chain; `seqs` must be stored (the callers take them from the sizes or from disk).
   */
  async #delete(seqs: readonly number[], what: string): Promise<void> {
    if (seqs.length === 0) return;
    await this.#write(
      seqs.map((seq) => ({ type: 'del', key: messageKey(seq) })),
      what,
    );
    let removesOldest = false;
    for (const seq of seqs) {
      if (seq === this.#oldest?.seq) removesOldest = true;
      this.#forget(seq);
    }
    if (removesOldest) await this.#refreshOldest();
  }

  /** Memory side of a delete: sizes, byte counter and tail. */
  #forget(seq: number): void {
    this.#bytes -= this.#sizes.remove(seq);
    this.#tail.remove(seq);
  }

  #startAgeTimer(): void {
    if (this.#maxAgeMs === undefined) return;
    const everyMs = Math.min(60_000, Math.max(1000, this.#maxAgeMs / 4));
    this.#ageTimer = setInterval(() => {
      if (this.#hasExpired()) {
        this.#serial(() => this.#dropExpired()).catch((err: unknown) =>
          this.#log.error({ err }, 'queue could not drop expired messages'),
        );
      }
    }, everyMs);
    this.#ageTimer.unref();
  }

  // --- helpers -------------------------------------------------------------------------------------

  /** After the oldest message went away: the sizes name the new oldest; its enqueuedAt is one lookup. */
  async #refreshOldest(): Promise<void> {
    for (let seq = this.#sizes.first; seq !== undefined; seq = this.#sizes.first) {
      const enqueuedAt = this.#tail.enqueuedAtOf(seq) ?? (await this.#storedEnqueuedAt(seq));
      if (enqueuedAt !== undefined) {
        this.#oldest = { seq, enqueuedAt };
        return;
      }
      // Not on disk although the sizes say stored: cannot happen while all writes go through the chain.
      this.#log.warn({ seq }, `queue record ${seq} vanished from the store; no longer counted`);
      this.#forget(seq);
    }
    this.#oldest = undefined;
  }

  async #storedEnqueuedAt(seq: number): Promise<number | undefined> {
    const value = await (await this.#store()).get(messageKey(seq), ENCODING);
    return value !== undefined && value.length >= 8 ? enqueuedAtOf(value) : undefined;
  }

  /** Moves undecodable records out of the message range (kept, never published). */
  async #quarantine(bad: [Buffer, Buffer, unknown][]): Promise<void> {
    await this.#write(quarantineOps(bad, this.#log), `quarantine ${bad.length} undecodable records`);
    for (const [key] of bad) {
      const seq = seqOfKey(key);
      this.#forget(seq);
      if (seq === this.#oldest?.seq) await this.#refreshOldest();
    }
  }

  #requireOpen(): Db {
    if (this.#db === undefined || this.#state === 'closed') {
      throw closedError(this.#dir);
    }
    return this.#db;
  }

  /** Runs `task` after every earlier write; its outcome is returned, the chain itself never rejects. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** 'q' + 8-byte seq (record-codec.ts). */
const KEY_BYTES = 9;
