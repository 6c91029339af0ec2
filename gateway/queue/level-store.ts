/**
 * The LevelDB side of the queue: the handle (opened, recovered or salvaged by store-recovery.ts), the one
 * serial chain every write goes through, and the write that retries once on a fresh handle.
 *
 * Every write (append batches, acks, drops, quarantines) runs inside `serial`, so the memory the queue
 * keeps about the store (message-index.ts) always matches what is on disk.
 */
import type { Logger } from '../log.ts';
import { closedError, describeError, QueueError } from './errors.ts';
import { enqueuedAtOf, MESSAGE_KEY_END, messageKey, seqOfKey } from './record-codec.ts';
import { type BatchOp, type Db, ENCODING } from './store-keys.ts';
import { type OpenedStore, openStore } from './store-recovery.ts';
import { quarantineOps } from './store-scan.ts';

/** Records read from the head per step while looking for expired messages. */
const EXPIRY_SCAN_CHUNK = 256;

export class LevelStore {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #sync: boolean;
  #db: Db | undefined;
  #degraded = false;
  /** Serialises every write so counters and disk agree; never rejects (links catch their own errors). */
  #chain: Promise<void> = Promise.resolve();

  constructor(dir: string, log: Logger, sync: boolean) {
    this.#dir = dir;
    this.#log = log;
    this.#sync = sync;
  }

  get isOpen(): boolean {
    return this.#db !== undefined;
  }

  /** True while writes fail (e.g. disk full); cleared by the next write that succeeds. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Opens (recovering or salvaging a damaged store: store-recovery.ts); the caller takes the counters. */
  async open(now: number): Promise<OpenedStore> {
    const opened = await openStore(this.#dir, this.#log, now);
    this.#db = opened.db;
    return opened;
  }

  async close(): Promise<void> {
    await this.#db?.close();
    this.#db = undefined;
  }

  /** Runs `task` after every earlier write; its outcome is returned, the chain itself never rejects. */
  serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves once every write queued so far has finished. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /**
   * One LevelDB batch, retried once on a fresh handle: after a failed write LevelDB keeps its background
   * error and refuses every later write until reopened. Batches are atomic and retrying identical puts
   * is idempotent, so the retry cannot duplicate. A write that still fails rejects with a clear error;
   * the next write tries again, so the queue recovers by itself once space is freed.
   */
  async write(ops: BatchOp[], what: string): Promise<void> {
    try {
      await (await this.#handle()).batch(ops, { sync: this.#sync });
    } catch (first) {
      this.#setDegraded(first);
      try {
        await this.#reopen();
        await (await this.#handle()).batch(ops, { sync: this.#sync });
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

  /** Deletes message records in one batch (acked or dropped: the caller knows they are stored). */
  delete(seqs: readonly number[], what: string): Promise<void> {
    return this.write(
      seqs.map((seq) => ({ type: 'del', key: messageKey(seq) })),
      what,
    );
  }

  /** Moves undecodable records out of the message range (kept, never published). */
  quarantine(bad: [Buffer, Buffer, unknown][]): Promise<void> {
    return this.write(quarantineOps(bad, this.#log), `quarantine ${bad.length} undecodable records`);
  }

  /** Up to `limit` raw records with seq in (afterSeq, upTo]. */
  async readRange(afterSeq: number, upTo: number, limit: number): Promise<[Buffer, Buffer][]> {
    return (await this.#handle())
      .iterator({ ...ENCODING, gt: messageKey(afterSeq), lte: messageKey(upTo), limit })
      .all();
  }

  async enqueuedAtOf(seq: number): Promise<number | undefined> {
    const value = await (await this.#handle()).get(messageKey(seq), ENCODING);
    return value !== undefined && value.length >= 8 ? enqueuedAtOf(value) : undefined;
  }

  /** The seqs from `first` on that were enqueued before `cutoff`: enqueuedAt is in the values, read from the head. */
  async expiredFrom(first: number, cutoff: number): Promise<number[]> {
    const seqs: number[] = [];
    const iterator = (await this.#handle()).iterator({
      ...ENCODING,
      gte: messageKey(first),
      lt: MESSAGE_KEY_END,
    });
    try {
      scan: for (
        let chunk = await iterator.nextv(EXPIRY_SCAN_CHUNK);
        chunk.length > 0;
        chunk = await iterator.nextv(EXPIRY_SCAN_CHUNK)
      ) {
        for (const [key, value] of chunk) {
          if (value.length >= 8 && enqueuedAtOf(value) >= cutoff) break scan;
          seqs.push(seqOfKey(key));
        }
      }
    } finally {
      await iterator.close();
    }
    return seqs;
  }

  /** The open handle, reopening it if a failed recovery left it closed. */
  async #handle(): Promise<Db> {
    const db = this.#db;
    if (db === undefined) throw closedError(this.#dir);
    if (db.status !== 'open') await db.open();
    return db;
  }

  async #reopen(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    await db.close().catch(() => undefined);
    await db.open();
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
}
