/**
 * Messages the queue was handed but did not store: counted by reason (stats, /metrics, /api/status) and
 * logged once per burst with the count (burst-counter.ts). Each such message still took a seq, so a
 * consumer sees the loss as a gap in the seqs (docs/delivery.md), and the counts here say what it was.
 */
import type { Logger } from '../log.ts';
import { BurstCounter } from './burst-counter.ts';
import { formatBound, formatCount } from './format.ts';

/**
 * - `write_failed`: the LevelDB write of the batch failed (disk full, I/O error) and its retry too;
 * - `back_pressure`: more than `maxPendingBytes` were waiting to be written (a stalled or slow disk).
 */
export type NotQueuedReason = 'write_failed' | 'back_pressure';

export type NotQueuedCounts = Readonly<Record<NotQueuedReason, number>>;

export class NotQueued {
  readonly #counts: Record<NotQueuedReason, number> = { write_failed: 0, back_pressure: 0 };
  readonly #burst: BurstCounter<NotQueuedReason>;
  /** The latest write error of the current burst, for its log line. */
  #lastWriteError = '';

  constructor(log: Logger, maxPendingBytes: number, intervalMs: number) {
    this.#burst = new BurstCounter<NotQueuedReason>(intervalMs, (counts) => {
      const failed = counts.get('write_failed') ?? 0;
      const refused = counts.get('back_pressure') ?? 0;
      if (failed > 0) {
        log.warn(
          { notQueued: failed, reason: 'write_failed' },
          `queue could not store ${formatCount(failed)} messages (${this.#lastWriteError}): they are lost and their seqs skipped (not queued: write failed)`,
        );
      }
      if (refused > 0) {
        log.warn(
          { notQueued: refused, reason: 'back_pressure', maxPendingBytes },
          `queue did not take ${formatCount(refused)} messages: ${formatBound(maxPendingBytes)} were already waiting to be written (the disk is not keeping up); they are lost and their seqs skipped (not queued: back-pressure)`,
        );
      }
    });
  }

  counts(): NotQueuedCounts {
    return { ...this.#counts };
  }

  writeFailed(count: number, error: string): void {
    this.#lastWriteError = error;
    this.#add('write_failed', count);
  }

  backPressure(count: number): void {
    this.#add('back_pressure', count);
  }

  /** Logs the tail of the current burst. */
  close(): void {
    this.#burst.close();
  }

  #add(reason: NotQueuedReason, count: number): void {
    if (count <= 0) return;
    this.#counts[reason] += count;
    this.#burst.add(reason, count);
  }
}
