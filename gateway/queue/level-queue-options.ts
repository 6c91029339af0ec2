/** Options of the LevelDB queue (level-queue.ts). */
import type { Clock } from '../../core/clock.ts';
import type { CommonQueueOptions } from './options.ts';

export interface LevelQueueOptions extends CommonQueueOptions {
  /** The LevelDB directory (created if missing). */
  readonly dir: string;
  /** fsync every batch (what that survives: docs/queue.md, "Durability"). Default false. */
  readonly sync?: boolean | undefined;
  /**
   * Group-commit window in ms. Default 0: write as soon as the writer is free; appends arriving during a
   * write join the next batch (measured up to 4× faster than a 5 ms window, and no timer wait at idle).
   */
  readonly flushIntervalMs?: number | undefined;
  /** Bytes (stored size) of the newest messages kept in memory for live reads. Default 16 MiB; 0 = off. */
  readonly tailCacheBytes?: number | undefined;
  /** A pending batch this big is written without waiting for the window. Default 4 MiB. */
  readonly maxBatchBytes?: number | undefined;
  /**
   * Bound on the messages accepted and not yet written (stored size plus PENDING_OVERHEAD_BYTES each):
   * beyond it appends are refused (back-pressure), counted as not queued. Default 64 MiB.
   */
  readonly maxPendingBytes?: number | undefined;
  /**
   * Timers of the group-commit window and the age bound, and the time when `now` is not given. Default
   * Node's (systemClock); tests pass a ManualClock.
   */
  readonly clock?: Clock | undefined;
}

/** Bytes (stored size) of the newest messages kept decoded for live reads unless configured. */
export const DEFAULT_TAIL_CACHE_BYTES = 16 * 1024 * 1024;
