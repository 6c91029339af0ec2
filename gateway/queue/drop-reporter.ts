/** Logs messages dropped by the queue's bounds once per burst (burst-counter.ts), with the count. */
import type { Logger } from '../log.ts';
import { BurstCounter } from './burst-counter.ts';
import { formatBound, formatCount } from './format.ts';

export type DropReason = 'bytes' | 'age';

export interface DropBounds {
  readonly maxBytes: number;
  readonly maxAgeSeconds: number | undefined;
}

export class DropReporter {
  readonly #burst: BurstCounter<DropReason>;

  constructor(log: Logger, bounds: DropBounds, intervalMs: number) {
    this.#burst = new BurstCounter<DropReason>(intervalMs, (counts) => {
      const bytes = counts.get('bytes') ?? 0;
      const age = counts.get('age') ?? 0;
      if (bytes > 0) {
        log.warn(
          { dropped: bytes, maxBytes: bounds.maxBytes },
          `queue full: dropped ${formatCount(bytes)} oldest messages (bound ${formatBound(bounds.maxBytes)})`,
        );
      }
      if (age > 0) {
        log.warn(
          { dropped: age, maxAgeSeconds: bounds.maxAgeSeconds },
          `queue age bound: dropped ${formatCount(age)} messages older than ${formatCount(bounds.maxAgeSeconds ?? 0)} s`,
        );
      }
    });
  }

  report(reason: DropReason, count: number): void {
    this.#burst.add(reason, count);
  }

  /** Logs what is pending now (used on close so the tail of a burst is not lost). */
  close(): void {
    this.#burst.close();
  }
}
