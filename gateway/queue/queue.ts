/**
 * The store-and-forward queue: every message the gateway produces goes through here, and is removed only
 * once the broker has acknowledged it (PUBACK). The publisher reads from the queue, never from the
 * producer, so nothing lives only in MQTT.js's memory. What is durable when (a message can be published
 * before its write completes; what a kill or a power loss costs): docs/queue.md, "Durability" — the one
 * place that says it.
 *
 * Two implementations pass one shared suite (test/gateway/queue/queue-suite.ts): MemoryQueue for tests
 * and demos, LevelQueue (LevelDB on disk) for real deployments.
 */
import type { NotQueuedCounts } from './not-queued.ts';
import type { StoreDamage } from './store-recovery.ts';

/** What a producer hands to the queue. */
export interface OutgoingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/** A message as stored: the queue assigns `seq`, strictly increasing, surviving restarts. */
export interface QueuedMessage extends OutgoingMessage {
  /** Monotonic per-queue sequence number (never reused, also not after a restart). */
  readonly seq: number;
  /** Epoch ms when the message was appended. */
  readonly enqueuedAt: number;
}

export interface QueueStats {
  /** Messages stored and not yet acknowledged. */
  readonly depth: number;
  /** Approximate bytes those messages take (keys + values). */
  readonly bytes: number;
  /** enqueuedAt of the oldest stored message, or undefined when empty. */
  readonly oldestEnqueuedAt: number | undefined;
  /** Messages dropped because the queue was full (bytes or age bound), since open. */
  readonly dropped: number;
  /** True when the last write failed (e.g. disk full); the queue retries and clears it on success. */
  readonly degraded: boolean;
  /** The seq the next append will get: messages with a lower seq were appended before this moment. */
  readonly nextSeq: number;
  /**
   * Seqs a previous process reserved and may have handed out without storing them (it stopped without
   * closing the queue): never used again. Undefined after a clean stop, and for queues that don't persist.
   */
  readonly unstoredSeqs?: { readonly from: number; readonly to: number } | undefined;
  /**
   * Messages handed to `append` and not stored, by reason, since open: a failed write (disk full) or
   * back-pressure (too much waiting to be written). Each took a seq, so consumers see them as a gap.
   */
  readonly notQueued: NotQueuedCounts;
  /** Bytes accepted and not yet written (what `maxPendingBytes` bounds); 0 for the memory queue. */
  readonly pendingBytes: number;
  /** What the open found wrong with the store (LevelDB queue only): what was lost, where the copy is. */
  readonly storeDamage?: StoreDamage | undefined;
}

export interface MessageQueue {
  open(): Promise<void>;
  /**
   * Stores messages in order and resolves with their sequence numbers once they are as durable as the
   * queue's configuration promises (docs/queue.md, "Durability"). Rejects when they are not stored
   * (`QUEUE_WRITE_FAILED`, `QUEUE_BACK_PRESSURE`); the queue counts those itself (`stats().notQueued`).
   */
  append(messages: readonly OutgoingMessage[]): Promise<number[]>;
  /** Up to `limit` stored messages with seq > afterSeq, in seq order. */
  read(afterSeq: number, limit: number): Promise<QueuedMessage[]>;
  /** Removes acknowledged messages. Unknown seqs are ignored (idempotent). */
  ack(seqs: readonly number[]): Promise<void>;
  /** Called (synchronously, cheaply) after each successful append; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void;
  stats(): QueueStats;
  close(): Promise<void>;
}
