/**
 * The stored size (key + value bytes) of every message still in the LevelDB queue, by seq, so `ack` and
 * the byte bound know what a delete frees without reading values back from disk, and know which seqs are
 * still stored (size 0 = not stored: acked, dropped, quarantined, or never written), which keeps `ack`
 * exactly idempotent.
 *
 * A Uint32Array deque indexed by seq − (seq of the first slot): 4 bytes per seq from the oldest stored
 * message to the newest (500 000 messages = 2 MB), built by the open scan and extended on append. The
 * span, not the depth, sets the memory: a seq acked in the middle keeps its (zero) slot until the head
 * passes it. Every operation is O(1), amortised for growth.
 */
const INITIAL_CAPACITY = 1024;

export class StoredSizes {
  #slots = new Uint32Array(INITIAL_CAPACITY);
  /** Index of the first slot in use; slots before it are free. */
  #head = 0;
  /** Index one past the last slot in use. */
  #end = 0;
  /** The seq of slot #head (meaningless while empty). */
  #headSeq = 0;
  #count = 0;

  /** Messages recorded as stored. */
  get count(): number {
    return this.#count;
  }

  /** The lowest stored seq, or undefined when nothing is stored. */
  get first(): number | undefined {
    return this.#count === 0 ? undefined : this.#headSeq;
  }

  /** Records a stored message; seqs must be added in increasing order (gaps are fine). */
  add(seq: number, size: number): void {
    if (size <= 0) throw new Error(`stored size of seq ${seq} must be positive, got ${size}`);
    if (this.#count === 0) {
      this.#head = 0;
      this.#end = 0;
      this.#headSeq = seq;
    }
    const offset = seq - this.#headSeq;
    if (this.#head + offset < this.#end) {
      throw new Error(
        `seq ${seq} added out of order (already at ${this.#headSeq + this.#end - this.#head - 1})`,
      );
    }
    this.#reserve(this.#head + offset + 1);
    const index = this.#head + offset;
    // Slots between the previous end and index stay 0: seqs never stored (e.g. a failed batch).
    this.#slots.fill(0, this.#end, index);
    this.#slots[index] = size;
    this.#end = index + 1;
    this.#count++;
  }

  /** Size of a stored message, 0 when `seq` is not stored. */
  sizeOf(seq: number): number {
    if (this.#count === 0 || !Number.isInteger(seq)) return 0;
    const index = this.#head + (seq - this.#headSeq);
    return index >= this.#head && index < this.#end ? (this.#slots[index] ?? 0) : 0;
  }

  /** Forgets a stored message; returns the bytes it took (0 when it was not stored). */
  remove(seq: number): number {
    const size = this.sizeOf(seq);
    if (size === 0) return 0;
    this.#slots[this.#head + (seq - this.#headSeq)] = 0;
    this.#count--;
    if (this.#count === 0) {
      this.#head = 0;
      this.#end = 0;
    } else if (seq === this.#headSeq) {
      let index = this.#head;
      while (this.#slots[index] === 0) index++;
      this.#headSeq += index - this.#head;
      this.#head = index;
    }
    return size;
  }

  /** Calls `visit(seq, size)` for stored messages from the oldest on, until it returns false. */
  forEachFromOldest(visit: (seq: number, size: number) => boolean): void {
    for (let i = this.#head; i < this.#end; i++) {
      const size = this.#slots[i] ?? 0;
      if (size !== 0 && !visit(this.#headSeq + (i - this.#head), size)) return;
    }
  }

  /** Makes room for slot index `needed − 1`: slides the live range to the front or doubles the array. */
  #reserve(needed: number): void {
    if (needed <= this.#slots.length) return;
    const live = this.#end - this.#head;
    const wanted = needed - this.#head;
    if (wanted <= this.#slots.length / 2) {
      this.#slots.copyWithin(0, this.#head, this.#end);
    } else {
      let capacity = this.#slots.length;
      while (capacity < wanted * 2) capacity *= 2;
      const grown = new Uint32Array(capacity);
      grown.set(this.#slots.subarray(this.#head, this.#end));
      this.#slots = grown;
    }
    this.#head = 0;
    this.#end = live;
  }
}
