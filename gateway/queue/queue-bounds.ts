/**
 * The LevelDB queue's bounds: beyond `maxBytes` the oldest messages are dropped (the sizes in memory say
 * how many, no disk reads), and with `maxAgeSeconds` messages older than that are dropped (enqueuedAt is
 * in the values, so that reads the head of the store), checked on read and by a timer. Drops are counted
 * and logged once per burst (drop-reporter.ts). Everything here runs inside the store's serial chain.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../log.ts';
import { DropReporter } from './drop-reporter.ts';
import type { LevelStore } from './level-store.ts';
import type { MessageIndex } from './message-index.ts';

export interface QueueBoundsOptions {
  readonly log: Logger;
  readonly maxBytes: number;
  readonly maxAgeSeconds: number | undefined;
  readonly dropLogIntervalMs: number;
  readonly now: () => number;
  /** Runs the age bound's timer. */
  readonly clock: Clock;
}

/** Deletes stored messages, on disk and in memory. */
export type DeleteStored = (seqs: readonly number[], what: string) => Promise<void>;

export class QueueBounds {
  readonly #log: Logger;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number | undefined;
  readonly #now: () => number;
  readonly #clock: Clock;
  readonly #store: LevelStore;
  readonly #index: MessageIndex;
  readonly #delete: DeleteStored;
  readonly #drops: DropReporter;
  #dropped = 0;
  #ageTimer: TimerHandle | undefined;

  constructor(options: QueueBoundsOptions, store: LevelStore, index: MessageIndex, remove: DeleteStored) {
    this.#log = options.log;
    this.#maxBytes = options.maxBytes;
    this.#maxAgeMs = options.maxAgeSeconds === undefined ? undefined : options.maxAgeSeconds * 1000;
    this.#now = options.now;
    this.#clock = options.clock;
    this.#store = store;
    this.#index = index;
    this.#delete = remove;
    this.#drops = new DropReporter(
      options.log,
      { maxBytes: options.maxBytes, maxAgeSeconds: options.maxAgeSeconds },
      options.dropLogIntervalMs,
    );
  }

  /** Messages dropped by either bound since open. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Drops the oldest messages until the bytes fit, then what is past the age bound. */
  async dropOverBound(): Promise<void> {
    if (this.#index.bytes <= this.#maxBytes) return;
    const seqs = this.#index.oldestBeyond(this.#maxBytes);
    await this.#delete(seqs, `drop ${seqs.length} oldest messages`);
    this.#countDrops('bytes', seqs.length);
    await this.dropExpired();
  }

  hasExpired(): boolean {
    const oldest = this.#index.oldest;
    return (
      this.#maxAgeMs !== undefined && oldest !== undefined && oldest.enqueuedAt < this.#now() - this.#maxAgeMs
    );
  }

  /** Drops messages older than the age bound. */
  async dropExpired(): Promise<void> {
    const first = this.#index.first;
    if (!this.hasExpired() || this.#maxAgeMs === undefined || first === undefined) return;
    const seqs = await this.#store.expiredFrom(first, this.#now() - this.#maxAgeMs);
    await this.#delete(seqs, `drop ${seqs.length} expired messages`);
    this.#countDrops('age', seqs.length);
  }

  /** While open: the age bound is also enforced when nothing is read. */
  startAgeTimer(): void {
    if (this.#maxAgeMs === undefined) return;
    const everyMs = Math.min(60_000, Math.max(1000, this.#maxAgeMs / 4));
    this.#ageTimer = this.#clock.setInterval(() => {
      if (this.hasExpired()) {
        this.#store
          .serial(() => this.dropExpired())
          .catch((err: unknown) => this.#log.error({ err }, 'queue could not drop expired messages'));
      }
    }, everyMs);
    // Housekeeping: it must not hold a stopping process open (Node's timers only; a ManualClock has no unref).
    (this.#ageTimer as { unref?: () => void }).unref?.();
  }

  stopAgeTimer(): void {
    if (this.#ageTimer !== undefined) this.#clock.clearInterval(this.#ageTimer);
    this.#ageTimer = undefined;
  }

  /** Logs the drops of a burst still being counted (at close, so its tail is not lost). */
  reportPending(): void {
    this.#drops.close();
  }

  #countDrops(reason: 'bytes' | 'age', count: number): void {
    if (count === 0) return;
    this.#dropped += count;
    this.#drops.report(reason, count);
  }
}
