/**
 * Logs dropped messages once per burst instead of once per append: a full queue drops on every group
 * commit, and a warning per 5 ms batch would flood the journal. The first drop of a burst is logged at
 * once; drops within the next `intervalMs` are summed and logged together when the interval ends.
 */
import type { Logger } from '../log.ts';
import { formatBound, formatCount } from './format.ts';

export type DropReason = 'bytes' | 'age';

export interface DropBounds {
  readonly maxBytes: number;
  readonly maxAgeSeconds: number | undefined;
}

export class DropReporter {
  readonly #log: Logger;
  readonly #bounds: DropBounds;
  readonly #intervalMs: number;
  readonly #pending: Record<DropReason, number> = { bytes: 0, age: 0 };
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger, bounds: DropBounds, intervalMs: number) {
    this.#log = log;
    this.#bounds = bounds;
    this.#intervalMs = intervalMs;
  }

  report(reason: DropReason, count: number): void {
    if (count <= 0) return;
    this.#pending[reason] += count;
    if (this.#timer !== undefined) return;
    this.#flush();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Logs what is pending now (used on close so the tail of a burst is not lost). */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  #flush(): void {
    const { bytes, age } = this.#pending;
    if (bytes > 0) {
      this.#log.warn(
        { dropped: bytes, maxBytes: this.#bounds.maxBytes },
        `queue full: dropped ${formatCount(bytes)} oldest messages (bound ${formatBound(this.#bounds.maxBytes)})`,
      );
    }
    if (age > 0) {
      this.#log.warn(
        { dropped: age, maxAgeSeconds: this.#bounds.maxAgeSeconds },
        `queue age bound: dropped ${formatCount(age)} messages older than ${formatCount(this.#bounds.maxAgeSeconds ?? 0)} s`,
      );
    }
    this.#pending.bytes = 0;
    this.#pending.age = 0;
  }
}
