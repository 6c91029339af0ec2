/**
 * One MQTT connection of the publisher: everything that belongs to it and dies with it, and the socket
 * helpers that act on it.
 */
import type { MqttClient } from 'mqtt';
import type { TimerHandle } from '../../core/clock.ts';
import { QueueLane } from './lane.ts';

/** Everything that belongs to one connection and dies with it. */
export interface Session {
  readonly client: MqttClient;
  /** Between CONNACK and the end of the connection. */
  active: boolean;
  /** Active and the online status is out: queue messages may flow. */
  ready: boolean;
  /** The end of this connection has been handled (reconnect scheduled); guards against a second time. */
  closed: boolean;
  connectedAt: number;
  window: number;
  /**
   * Live data goes out on the live lane, ahead of the backlog lane (what waited through a restart or an
   * outage, flagged historical: BacklogBoundary), so live data keeps flowing while a backlog drains.
   * Each lane is in seq order: per-topic order holds within live data and within backlog (docs/delivery.md).
   */
  live: QueueLane;
  backlog: QueueLane;
  /** A timer that resumes the backlog when the replay rate cap allows. */
  replayTimer: TimerHandle | undefined;
  /** seq → when it was published; insertion order = oldest first, which the timeout check relies on. */
  readonly inflight: Map<number, number>;
  /** One timer per connection checks the oldest in-flight publish against publishTimeoutMs. */
  timeoutTimer: TimerHandle | undefined;
  pumping: boolean;
  pumpAgain: boolean;
  /** The socket is corked until the end of this event-loop turn (see #publish). */
  corked: boolean;
}

/** A session for a connection being made: nothing flows until CONNACK sets the lanes and `ready`. */
export function newSession(client: MqttClient, window: number): Session {
  return {
    client,
    active: false,
    ready: false,
    closed: false,
    connectedAt: 0,
    window,
    live: new QueueLane(0),
    backlog: new QueueLane(0, 0),
    replayTimer: undefined,
    inflight: new Map(),
    timeoutTimer: undefined,
    pumping: false,
    pumpAgain: false,
    corked: false,
  };
}

/**
 * Holds this turn's PUBLISH packets in the socket until the event loop's check phase, then writes them
 * with one writev. Messages arrive one poll reply at a time, and MQTT.js writes each packet on its own
 * (its cork lasts one tick): on loopback and LAN every write is a syscall that costs as much as
 * encoding several packets. Added latency: at most the rest of the current loop turn.
 */
export function corkUntilEndOfTurn(session: Session): void {
  if (session.corked) return;
  const stream = session.client.stream;
  if (typeof stream?.cork !== 'function') return;
  stream.cork();
  session.corked = true;
  setImmediate(() => {
    session.corked = false;
    stream.uncork();
  });
}

/** Ends the client (gracefully unless `force`), forcing it after `timeoutMs`. */
export function endClient(client: MqttClient, force: boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.end(true);
      resolve();
    }, timeoutMs);
    client.end(force, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
