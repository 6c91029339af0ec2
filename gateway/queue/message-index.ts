/**
 * What the LevelDB queue knows about its store without reading it: the seq counter and its durable
 * reservation (seq-reservation.ts), the stored size of every message (stored-sizes.ts: acks and the byte
 * bound delete without reading values back), the byte total and the oldest message, and the newest
 * messages kept decoded (tail-cache.ts: live reads skip LevelDB). Initialised by the open scan; changed
 * only inside the store's serial chain, except that appends enter the tail at once (write-behind,
 * level-queue.ts).
 */
import type { Logger } from '../log.ts';
import type { OutgoingMessage, QueuedMessage } from './queue.ts';
import { messageKey, messageOfRecord } from './record-codec.ts';
import { SeqReservation } from './seq-reservation.ts';
import type { OpenedStore } from './store-recovery.ts';
import { StoredSizes } from './stored-sizes.ts';
import { TailCache } from './tail-cache.ts';

/** One put per seq, in the same order. */
export type MessagePut = { type: 'put'; key: Buffer; value: Buffer };

/** The seqs, puts and stored bytes of one append, before it is written. */
export interface TakenAppend {
  readonly seqs: number[];
  readonly puts: MessagePut[];
  readonly bytes: number;
  readonly enqueuedAt: number;
}

export interface MessageIndexOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly tailCacheBytes: number;
  /** Reservations ahead are taken only while the queue is open; retried slower while it is degraded. */
  isOpen(): boolean;
  isDegraded(): boolean;
  /** Messages waiting above the old reservation became readable. */
  onReserved(): void;
}

export class MessageIndex {
  readonly #log: Logger;
  #nextSeq = 1;
  /** Size of every stored message by seq; its `first` is where iterators start (skipping the tombstones). */
  #sizes = new StoredSizes();
  readonly #tail: TailCache;
  #bytes = 0;
  #oldest: { seq: number; enqueuedAt: number } | undefined;
  /** Seqs up to `upTo` are durably reserved: only they may be read (and published). */
  readonly reservation: SeqReservation;

  constructor(options: MessageIndexOptions) {
    this.#log = options.log;
    this.#tail = new TailCache(options.tailCacheBytes, 1);
    this.reservation = new SeqReservation({
      dir: options.dir,
      log: options.log,
      nextSeq: () => this.#nextSeq,
      isOpen: options.isOpen,
      isDegraded: options.isDegraded,
      onReserved: options.onReserved,
    });
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Messages stored (written and not deleted). */
  get count(): number {
    return this.#sizes.count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get oldest(): { readonly seq: number; readonly enqueuedAt: number } | undefined {
    return this.#oldest;
  }

  /** The lowest stored seq, or undefined when nothing is stored. */
  get first(): number | undefined {
    return this.#sizes.first;
  }

  /** Takes over what the open scan found. The backlog stays on disk; the tail fills with new appends. */
  opened(opened: OpenedStore): void {
    const { scan } = opened;
    this.#sizes = scan.sizes;
    this.#bytes = scan.bytes;
    this.#oldest = scan.oldest;
    this.#nextSeq = opened.nextSeq;
    this.reservation.reset(opened.nextSeq - 1);
    this.#tail.reset(this.#nextSeq);
  }

  /** At close: memory is given back; the seq counter stays (a reopen takes it from the store anyway). */
  closed(): void {
    this.#sizes = new StoredSizes();
    this.#tail.reset(this.#nextSeq);
  }

  /**
   * Gives encoded messages their seqs, synchronously and in call order (concurrent appends keep their
   * order on disk), and makes them readable at once from the tail (write-behind). The caller asks the
   * reservation for the next block once the append is queued (`reservation.reserveIfDue`).
   */
  take(values: readonly Buffer[], messages: readonly OutgoingMessage[], enqueuedAt: number): TakenAppend {
    const seqs: number[] = [];
    const puts: MessagePut[] = [];
    let bytes = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      const seq = this.#nextSeq++;
      const key = messageKey(seq);
      seqs.push(seq);
      puts.push({ type: 'put', key, value });
      const size = key.length + value.length;
      bytes += size;
      this.#tail.add(messageOfRecord(seq, value, messages[i]!, enqueuedAt), size);
    }
    return { seqs, puts, bytes, enqueuedAt };
  }

  /** Uses up seqs for messages that were refused: consumers see them as a gap. */
  skip(count: number): void {
    this.#nextSeq += count;
    this.reservation.reserveIfDue();
  }

  /**
   * Whether an append starting at `seq` can be read right now: with the tail off (or already evicted)
   * readers must wait for the write; beyond the reservation for the reservation.
   */
  readableNow(seq: number): boolean {
    return this.#tail.covers(seq) && seq <= this.reservation.upTo;
  }

  /** The live cursor's page from memory, or undefined when the tail does not reach back to `afterSeq`. */
  readTail(afterSeq: number, limit: number): QueuedMessage[] | undefined {
    return this.#tail.covers(afterSeq + 1)
      ? this.#tail.read(afterSeq, limit, this.reservation.upTo)
      : undefined;
  }

  /** The append's batch is written: its messages are stored. */
  written(append: TakenAppend): void {
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

  /** The append's batch failed: not stored, so no longer readable either. */
  notWritten(append: TakenAppend): void {
    for (const seq of append.seqs) this.#tail.remove(seq);
  }

  /** The seqs among `seqs` that are stored (each once). */
  storedOf(seqs: readonly number[]): number[] {
    return [...new Set(seqs)].filter((seq) => this.#sizes.sizeOf(seq) > 0);
  }

  /** The oldest stored seqs to delete so that the bytes fit in `maxBytes`: no disk reads. */
  oldestBeyond(maxBytes: number): number[] {
    const seqs: number[] = [];
    if (this.#bytes <= maxBytes) return seqs;
    let freed = 0;
    this.#sizes.forEachFromOldest((seq, size) => {
      if (this.#bytes - freed <= maxBytes) return false;
      seqs.push(seq);
      freed += size;
      return true;
    });
    return seqs;
  }

  /**
   * Memory side of a delete (stored seqs only). When the oldest went, the sizes name the new oldest and
   * `enqueuedAtOf` (the tail, else one store lookup) its enqueuedAt.
   */
  async removed(
    seqs: readonly number[],
    storedEnqueuedAt: (seq: number) => Promise<number | undefined>,
  ): Promise<void> {
    let removesOldest = false;
    for (const seq of seqs) {
      if (seq === this.#oldest?.seq) removesOldest = true;
      this.#forget(seq);
    }
    if (removesOldest) await this.#refreshOldest(storedEnqueuedAt);
  }

  /** Memory side of a quarantine: the record is no longer a message. */
  async quarantined(
    seq: number,
    storedEnqueuedAt: (seq: number) => Promise<number | undefined>,
  ): Promise<void> {
    this.#forget(seq);
    if (seq === this.#oldest?.seq) await this.#refreshOldest(storedEnqueuedAt);
  }

  /** Records what is stored in the seq ledger at a clean close. */
  recordCleanClose(): Promise<void> {
    return this.reservation.recordCleanClose(this.#sizes);
  }

  #forget(seq: number): void {
    this.#bytes -= this.#sizes.remove(seq);
    this.#tail.remove(seq);
  }

  async #refreshOldest(storedEnqueuedAt: (seq: number) => Promise<number | undefined>): Promise<void> {
    for (let seq = this.#sizes.first; seq !== undefined; seq = this.#sizes.first) {
      const enqueuedAt = this.#tail.enqueuedAtOf(seq) ?? (await storedEnqueuedAt(seq));
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
}
