/** Options both queue implementations accept. */
import type { Logger } from '../log.ts';

export const DEFAULT_MAX_BYTES = 1024 ** 3;
export const DEFAULT_DROP_LOG_INTERVAL_MS = 10_000;

export interface CommonQueueOptions {
  readonly log: Logger;
  /** Byte bound (keys + values); beyond it the oldest messages are dropped. Default 1 GiB. */
  readonly maxBytes?: number | undefined;
  /** Optional age bound: messages older than this are dropped. */
  readonly maxAgeSeconds?: number | undefined;
  /** "queue full" is logged at most once per this interval, with the count. Default 10 s. */
  readonly dropLogIntervalMs?: number | undefined;
  /** Clock for enqueuedAt and the age bound; injectable for tests. Default Date.now. */
  readonly now?: (() => number) | undefined;
}
