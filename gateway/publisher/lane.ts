/**
 * One ordered stream of queued messages for the publisher: a cursor into the queue, an optional upper
 * bound, and a read-ahead buffer (the queue is read a window at a time, not a message per freed slot).
 *
 * The publisher keeps two per connection: the *live* lane (seqs appended after the connection was made)
 * and the *backlog* lane (everything older: replay after an outage or a restart). Each is in seq order,
 * so per-topic order holds within live data and within backlog; backlog messages carry `historical`.
 */
import type { MessageQueue, QueuedMessage } from '../queue/queue.ts';

export class QueueLane {
  #cursor: number;
  readonly #end: number;
  #ahead: QueuedMessage[] = [];
  #index = 0;
  #exhausted = false;

  /** Reads seqs in (afterSeq, end): `end` exclusive, Infinity for the live lane. */
  constructor(afterSeq: number, end = Number.POSITIVE_INFINITY) {
    this.#cursor = afterSeq;
    this.#end = end;
  }

  /** True once a bounded lane has delivered everything below its end. */
  get done(): boolean {
    return this.#exhausted && this.#index >= this.#ahead.length;
  }

  get buffered(): number {
    return this.#ahead.length - this.#index;
  }

  /** Refills the read-ahead buffer when it is empty; resolves with how many messages it holds. */
  async fill(queue: MessageQueue, window: number): Promise<number> {
    if (this.buffered > 0 || this.#exhausted) return this.buffered;
    const batch = await queue.read(this.#cursor, window);
    let count = batch.length;
    while (count > 0 && batch[count - 1]!.seq >= this.#end) count--;
    // Only a message at or past `end` proves the lane complete. An empty read does not: appends taken
    // before the connection (seq < end) may still be waiting for their group commit.
    if (count < batch.length) this.#exhausted = true;
    this.#ahead = count === batch.length ? batch : batch.slice(0, count);
    this.#index = 0;
    if (count > 0) this.#cursor = this.#ahead[count - 1]!.seq;
    return count;
  }

  /** The next buffered message, or undefined. */
  next(): QueuedMessage | undefined {
    return this.#index < this.#ahead.length ? this.#ahead[this.#index++] : undefined;
  }

  /** Puts back the message `next` just returned (e.g. the replay rate cap said "not yet"). */
  unread(): void {
    if (this.#index > 0) this.#index--;
  }
}
