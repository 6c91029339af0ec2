/**
 * What the rest of the gateway sees of the northbound publisher (implemented by mqtt-publisher.ts).
 */

export interface PublisherMetrics {
  /** PUBLISH packets sent for queue messages (resends included). */
  readonly published: number;
  /** PUBACKs received for queue messages. */
  readonly acknowledged: number;
  /** Messages published again after a reconnect or timeout (the duplicates consumers may see). */
  readonly resent: number;
  /** Messages published as historical (queued before this start or during an outage: docs/delivery.md). */
  readonly replayed: number;
  /** Messages the broker refused for good (MQTT 5 negative PUBACK, e.g. not authorized); dropped. */
  readonly rejected: number;
  /** Successful connections after the first one. */
  readonly reconnects: number;
  readonly inflight: number;
  /** Most messages ever in flight at once (never above `window`). */
  readonly peakInflight: number;
  /** The in-flight limit of the current connection: min(inflight option, broker's Receive Maximum). */
  readonly window: number;
  readonly connected: boolean;
  /** The last connection problem in plain words, cleared on connect. */
  readonly lastError: string | undefined;
}

export type PublisherState = 'connecting' | 'connected' | 'disconnected' | 'stopped';
export type PublisherStateListener = (state: PublisherState, error: string | undefined) => void;

export interface Publisher {
  /** Loads TLS files and starts connecting in the background; resolves without waiting for the broker. */
  start(): Promise<void>;
  /**
   * Stops publishing, waits up to `drainMs` (default 2000) for in-flight PUBACKs, publishes the retained
   * "offline" status and disconnects. Unacknowledged messages stay in the queue for the next start.
   */
  stop(options?: { readonly drainMs?: number }): Promise<void>;
  metrics(): PublisherMetrics;
  onState(listener: PublisherStateListener): () => void;
}
