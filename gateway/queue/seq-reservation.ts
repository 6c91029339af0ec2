/**
 * Seqs are reserved durably before they can be published: a message is readable (publishable) as soon as
 * it is appended, before its batch is written, so a process killed after publishing it must not leave
 * its seq free for the next process. Reservations are written to the seq ledger (seq-ledger.ts, a file
 * outside LevelDB, fsynced even without `sync`: after a power loss seqs must not go back below what was
 * published), a block at a time, the next block when half of the current one is used. A clean close
 * gives the unused part back and records which seqs are stored.
 */
import type { Logger } from '../log.ts';
import { describeError } from './errors.ts';
import { storedRanges, writeLedger } from './seq-ledger.ts';
import type { StoredSizes } from './stored-sizes.ts';

/** Seqs reserved per fsynced write; a new block is taken when half of the current one is used. */
export const SEQ_RESERVATION_BLOCK = 16_384;

export interface SeqReservationHost {
  readonly dir: string;
  readonly log: Logger;
  /** The seq the next append gets. */
  nextSeq(): number;
  /** Reservations ahead are taken only while the queue is open; retried slower while it is degraded. */
  isOpen(): boolean;
  isDegraded(): boolean;
  /** Messages waiting above the old reservation became readable. */
  onReserved(): void;
}

export class SeqReservation {
  readonly #host: SeqReservationHost;
  /** Seqs up to this one are durably reserved: only they may be read (and published). */
  #upTo = 0;
  #reserving: Promise<void> | undefined;

  constructor(host: SeqReservationHost) {
    this.#host = host;
  }

  get upTo(): number {
    return this.#upTo;
  }

  /** At open: nothing above `upTo` is reserved by this process yet. */
  reset(upTo: number): void {
    this.#upTo = upTo;
  }

  /** Reserves a block above what is handed out (awaited at open). */
  async reserve(): Promise<void> {
    const upTo = this.#host.nextSeq() - 1 + SEQ_RESERVATION_BLOCK;
    await writeLedger(this.#host.dir, { reserved: upTo, closed: false });
    const wasReadable = this.#upTo;
    this.#upTo = upTo;
    if (this.#host.nextSeq() - 1 > wasReadable) this.#host.onReserved();
  }

  /** After appends: the next block once half of the current one is used; one write at a time. */
  reserveIfDue(): void {
    if (this.#due()) void this.#reserveAhead();
  }

  /** Resolves once no reservation is being written. */
  async settled(): Promise<void> {
    await this.#reserving;
  }

  /**
   * After a clean close every handed-out seq is stored, acked, dropped or counted as not queued: the next
   * process continues without a gap, and checks that what is stored now is still there (store-recovery.ts).
   */
  async recordCleanClose(sizes: StoredSizes): Promise<void> {
    const { dir, log } = this.#host;
    await writeLedger(dir, {
      reserved: this.#host.nextSeq() - 1,
      closed: true,
      stored: storedRanges(sizes),
    }).catch((err: unknown) =>
      log.warn(
        { err },
        `queue ${dir}: could not record the clean close (${describeError(err)}); the next start reports the unused reservation as unstored`,
      ),
    );
  }

  #due(): boolean {
    return this.#host.nextSeq() - 1 > this.#upTo - SEQ_RESERVATION_BLOCK / 2;
  }

  #reserveAhead(): Promise<void> {
    this.#reserving ??= this.reserve()
      .catch((err: unknown) => {
        this.#host.log.error(
          { err },
          `queue ${this.#host.dir}: could not reserve seqs (${describeError(err)}): messages above ${this.#upTo} wait until it succeeds`,
        );
      })
      .finally(() => {
        this.#reserving = undefined;
        if (this.#host.isOpen() && this.#due()) {
          setTimeout(() => void this.#reserveAhead(), this.#host.isDegraded() ? 1000 : 0).unref();
        }
      });
    return this.#reserving;
  }
}
