/**
 * Collects PUBACKed seqs and removes them from the queue in batches: one queue.ack per few ms instead of
 * one per message (for LevelDB that is one batch write instead of thousands). A failed ack is retried;
 * until it succeeds the messages stay in the queue and are at worst resent (a duplicate, never a loss).
 */
import { type Clock, systemClock, type TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../log.ts';
import type { MessageQueue } from '../queue/queue.ts';

const MAX_BATCH = 1000;
const RETRY_MS = 1000;

export class AckBatcher {
  readonly #queue: MessageQueue;
  readonly #log: Logger;
  readonly #delayMs: number;
  readonly #clock: Clock;
  #pending: number[] = [];
  #timer: TimerHandle | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(queue: MessageQueue, log: Logger, delayMs: number, clock: Clock = systemClock) {
    this.#queue = queue;
    this.#log = log;
    this.#delayMs = delayMs;
    this.#clock = clock;
  }

  add(seq: number): void {
    this.#pending.push(seq);
    if (this.#pending.length >= MAX_BATCH) void this.flush();
    else this.#timer ??= this.#clock.setTimeout(() => void this.flush(), this.#delayMs);
  }

  /** Acks everything collected so far; resolves when the queue has removed it (or the attempt failed). */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const seqs = this.#pending;
    if (seqs.length === 0) return this.#chain;
    this.#pending = [];
    // Chained so that acks reach the queue one batch at a time, in order.
    this.#chain = this.#chain.then(async () => {
      try {
        await this.#queue.ack(seqs);
      } catch (error) {
        this.#log.error({ err: error }, 'queue ack of %d messages failed; retrying', seqs.length);
        this.#pending.unshift(...seqs);
        this.#timer ??= this.#clock.setTimeout(() => void this.flush(), RETRY_MS);
      }
    });
    return this.#chain;
  }

  /** Stops the timer; pending seqs are dropped (they stay in the queue and are resent next time). */
  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
