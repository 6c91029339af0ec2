/**
 * The newest stored messages of the LevelDB queue, kept decoded in memory so the publisher's live cursor
 * (which reads what was appended a moment ago) is served without a LevelDB iterator. Only the backlog,
 * older than the tail, is read from disk.
 *
 * The tail is a contiguous suffix of the accepted messages: every message stored or being stored with
 * seq ≥ `coveredFrom` is in it. Messages enter when the queue takes them, before their batch is written
 * (write-behind: see level-queue.ts); a batch whose write fails is removed again. Bounded by bytes (stored size, key + value): the oldest entries are
 * evicted first, which moves `coveredFrom` up.
 *
 * MemoryQueue keeps all its messages in one of these, unbounded (maxBytes Infinity).
 *
 * Entries sit in a seq-sorted array behind a head index. Acked or dropped entries are marked (payload
 * released at once) rather than spliced out; the head skips them and the array is compacted when the
 * dead prefix dominates, so add, remove and the seek of a read are O(1) amortised / O(log n).
 */
import type { QueuedMessage } from './queue.ts';

interface TailEntry {
  readonly seq: number;
  readonly size: number;
  /** undefined once acked or dropped. */
  message: QueuedMessage | undefined;
}

const COMPACT_AFTER = 1024;
/** Bytes of bound per entry slot: caps the array (live + marked entries) at maxBytes / 64 slots. */
const BYTES_PER_SLOT = 64;

export class TailCache {
  readonly #maxBytes: number;
  /**
   * Slots from head to end, live or marked. Marked entries behind an old unacked one stay until the head
   * passes them; this cap evicts that old entry (it is then read from disk) so the array cannot grow
   * without bound while the live bytes stay small.
   */
  readonly #maxSlots: number;
  #entries: TailEntry[] = [];
  /** Entries before this index are all removed or evicted. */
  #head = 0;
  #bytes = 0;
  #coveredFrom: number;

  constructor(maxBytes: number, coveredFrom: number) {
    this.#maxBytes = maxBytes;
    this.#maxSlots = Math.max(COMPACT_AFTER, Math.floor(maxBytes / BYTES_PER_SLOT));
    this.#coveredFrom = coveredFrom;
  }

  /** Bytes (stored size) of the messages held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Empties the tail; it then covers the messages stored from `seq` on (none yet). */
  reset(seq: number): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#coveredFrom = seq;
  }

  /** True when every stored message with seq ≥ `fromSeq` is in the tail. */
  covers(fromSeq: number): boolean {
    return fromSeq >= this.#coveredFrom;
  }

  /** Adds the newest stored message (seqs increase), then evicts the oldest beyond the byte bound. */
  add(message: QueuedMessage, size: number): void {
    this.#entries.push({ seq: message.seq, size, message });
    this.#bytes += size;
    while (this.#bytes > this.#maxBytes || this.#entries.length - this.#head > this.#maxSlots) {
      const oldest = this.#entries[this.#head++];
      if (oldest === undefined) break;
      if (oldest.message !== undefined) this.#bytes -= oldest.size;
      oldest.message = undefined;
      this.#coveredFrom = oldest.seq + 1;
    }
    this.#skipRemoved();
    this.#compact();
  }

  /** Up to `limit` held messages with afterSeq < seq ≤ maxSeq, in seq order (only valid when `covers`). */
  read(afterSeq: number, limit: number, maxSeq = Number.POSITIVE_INFINITY): QueuedMessage[] {
    const out: QueuedMessage[] = [];
    for (let i = this.#firstIndexAfter(afterSeq); i < this.#entries.length && out.length < limit; i++) {
      const message = this.#entries[i]?.message;
      if (message === undefined) continue;
      if (message.seq > maxSeq) break;
      out.push(message);
    }
    return out;
  }

  /** enqueuedAt of a held message, undefined when not held. */
  enqueuedAtOf(seq: number): number | undefined {
    const entry = this.#entries[this.#firstIndexAfter(seq - 1)];
    return entry?.seq === seq ? entry.message?.enqueuedAt : undefined;
  }

  /** The oldest held message, undefined when empty. */
  oldest(): QueuedMessage | undefined {
    return this.#entries[this.#head]?.message;
  }

  /** Forgets an acked, dropped or quarantined message; returns its size, 0 when it was not held. */
  remove(seq: number): number {
    const entry = this.#entries[this.#firstIndexAfter(seq - 1)];
    if (entry === undefined || entry.seq !== seq || entry.message === undefined) return 0;
    entry.message = undefined;
    this.#bytes -= entry.size;
    this.#skipRemoved();
    this.#compact();
    return entry.size;
  }

  /** Moves the head past removed entries (not stored any more, so coverage does not change). */
  #skipRemoved(): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]?.message === undefined) {
      this.#head++;
    }
  }

  /** Drops the dead prefix once it is most of the array: memory follows the live tail, amortised O(1). */
  #compact(): void {
    if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Index of the first entry from head with seq > afterSeq: binary search, entries are seq-sorted. */
  #firstIndexAfter(afterSeq: number): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#entries[mid]?.seq ?? Number.POSITIVE_INFINITY) > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
