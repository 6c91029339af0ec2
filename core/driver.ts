/**
 * The one interface every protocol driver implements. A driver owns its connection and its schedule
 * (a serial bus has to share line time between devices, an OPC UA subscription pushes by itself), and
 * reports raw readings and connection changes through DriverEvents. It knows nothing of MQTT, the queue
 * or tag types: the mapping layer turns its readings into TagSamples.
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface DriverEvents<Reading> {
  /** A complete poll (or subscription notification) with per-block/per-node results. */
  onReading(reading: Reading): void;
  /** Connection changes, with the reason when it was lost. Called once per change, not per poll. */
  onConnectionState(state: ConnectionState, reason?: string): void;
}

export interface Driver {
  /** Starts connecting and polling in the background; resolves at once (never throws for a down device). */
  start(): Promise<void>;
  /** Stops polling, closes the connection; resolves when no more events will be emitted. */
  stop(): Promise<void>;
}
