/**
 * Publisher options: everything already resolved (secrets are plain strings here and are never logged).
 * Defaults are applied once in `resolveOptions`, so the hot path never looks at `undefined`.
 */
import type { BackoffOptions } from '../../core/backoff.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { DEFAULT_DROP_LOG_INTERVAL_MS } from '../queue/options.ts';

export interface PublisherTlsOptions {
  /**
   * CA certificate(s), client certificate and key: each either PEM contents (a string containing
   * "-----BEGIN") or the path of a PEM file, read once at start(). The config file gives paths; tests and
   * embedders may pass contents. `ca` unset = the system trust store.
   */
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** Passphrase of an encrypted key (already resolved; never logged). */
  readonly passphrase?: string | undefined;
  /** Name used for SNI and the certificate host-name check when it differs from the URL host. */
  readonly servername?: string | undefined;
  /** Default 'TLSv1.2'. */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** DANGEROUS: accept any broker certificate. Logged as a warning at every start. */
  readonly insecureSkipVerify?: boolean | undefined;
}

export interface PublisherOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  readonly url: string;
  /** 5 = MQTT 5 (default), 4 = MQTT 3.1.1. */
  readonly protocolVersion?: 4 | 5 | undefined;
  readonly clientId: string;
  readonly username?: string | undefined;
  /** Already resolved; never logged. */
  readonly password?: string | undefined;
  readonly tls?: PublisherTlsOptions | undefined;
  /** Default 60. */
  readonly keepaliveSeconds?: number | undefined;
  /** Unacknowledged QoS 1 messages in flight (default 100; MQTT 5: also ≤ the broker's Receive Maximum). */
  readonly inflight?: number | undefined;
  /** A PUBACK not received within this time drops the connection; the message is resent. Default 10 000. */
  readonly publishTimeoutMs?: number | undefined;
  /** Retained online/offline topic (birth and last will). Unset = no status messages. */
  readonly statusTopic?: string | undefined;
  readonly gatewayId: string;
  /** Fresh per process start; stamped on every message (docs/delivery.md). */
  readonly bootId: string;
  /** Cap on historical (backlog) messages per second. Unset = no cap (see docs/delivery.md). */
  readonly replayRatePerSecond?: number | undefined;
  /** Reconnect delays (default 500 ms doubling to 30 s, jittered). */
  readonly reconnect?: BackoffOptions | undefined;
  /** Time allowed for TCP + TLS + CONNACK. Default 10 000. */
  readonly connectTimeoutMs?: number | undefined;
  /** How long PUBACKs are collected before one queue.ack call. Default 5. */
  readonly ackBatchMs?: number | undefined;
  /**
   * Messages the broker refuses for good are logged once per burst per topic: the first at once, the
   * rest counted over this interval. Default: the queue's drop-log interval (10 s).
   */
  readonly rejectionLogIntervalMs?: number | undefined;
  /** Timers of that report (tests pass a manual clock). Default: Node's. */
  readonly rejectionTimers?: Clock | undefined;
  /**
   * Time and timers of the publisher's schedules: reconnect backoff, the PUBACK timeout check, the replay
   * cap, ack batching. Default Node's (systemClock); tests pass a ManualClock. The stop's drain and the
   * socket timeouts stay on Node's timers.
   */
  readonly clock?: Clock | undefined;
}

export interface ResolvedOptions extends PublisherOptions {
  readonly protocolVersion: 4 | 5;
  readonly keepaliveSeconds: number;
  readonly inflight: number;
  readonly publishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly ackBatchMs: number;
  readonly rejectionLogIntervalMs: number;
  readonly clock: Clock;
}

export function resolveOptions(options: PublisherOptions): ResolvedOptions {
  return {
    ...options,
    protocolVersion: options.protocolVersion ?? 5,
    keepaliveSeconds: options.keepaliveSeconds ?? 60,
    inflight: Math.max(1, options.inflight ?? 100),
    publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    ackBatchMs: options.ackBatchMs ?? 5,
    rejectionLogIntervalMs: options.rejectionLogIntervalMs ?? DEFAULT_DROP_LOG_INTERVAL_MS,
    clock: options.clock ?? systemClock,
  };
}
