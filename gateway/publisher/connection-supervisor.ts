/**
 * The publisher's connection supervisor: one MQTT.js client per connection, with MQTT.js's own reconnect
 * off (`reconnectPeriod: 0`, see mqtt-publisher.ts for why); connects, publishes the retained online
 * status after CONNACK (the offline one at a clean stop), and when a connection ends throws the client
 * away with everything in flight on it and reconnects after a jittered exponential backoff
 * (gateway/backoff.ts). Problems are logged once per change, and reported to state listeners.
 */
import mqtt, { type IConnackPacket } from 'mqtt';
import { Backoff } from '../../core/backoff.ts';
import type { TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../log.ts';
import type { MessageQueue } from '../queue/queue.ts';
import type { AckBatcher } from './ack-batcher.ts';
import { mqttClientOptions } from './client-options.ts';
import { describeConnectError } from './connect-errors.ts';
import type { InflightWindow, PublishCounters } from './inflight-window.ts';
import type { LanePump } from './lane-pump.ts';
import type { ResolvedOptions } from './options.ts';
import type { PublisherState, PublisherStateListener } from './publisher.ts';
import { redactUrls } from './redact-url.ts';
import { endClient, newSession, type Session } from './session.ts';
import { publishStatus, StatusTimeout, statusPayload } from './status.ts';
import { loadTls, type MqttTlsOptions } from './tls.ts';

export interface SupervisedParts {
  readonly acks: AckBatcher;
  readonly window: InflightWindow;
  readonly lanes: LanePump;
}

export class ConnectionSupervisor {
  readonly #options: ResolvedOptions;
  readonly #queue: MessageQueue;
  readonly #log: Logger;
  /** The broker URL as printed: a password in it (embedders may pass one) is masked. */
  readonly #broker: string;
  readonly #counters: PublishCounters;
  readonly #parts: SupervisedParts;
  readonly #backoff: Backoff;
  readonly #listeners = new Set<PublisherStateListener>();
  #tls: MqttTlsOptions | undefined;
  #session: Session | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #running = false;
  #everConnected = false;
  #lastError: string | undefined;
  #lastLoggedError: string | undefined;

  constructor(
    options: ResolvedOptions,
    queue: MessageQueue,
    log: Logger,
    counters: PublishCounters,
    parts: SupervisedParts,
  ) {
    this.#options = options;
    this.#queue = queue;
    this.#log = log;
    this.#broker = redactUrls(options.url);
    this.#counters = counters;
    this.#parts = parts;
    this.#backoff = new Backoff(options.reconnect);
  }

  get running(): boolean {
    return this.#running;
  }

  /** The current connection (or attempt), if any. */
  get session(): Session | undefined {
    return this.#session;
  }

  /** The last connection problem in plain words, cleared on connect. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  onState(listener: PublisherStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads TLS files, then connects in the background; `beforeConnect` runs once running. */
  async start(beforeConnect: () => void): Promise<void> {
    const tls = this.#options.tls;
    if (tls !== undefined) {
      this.#tls = await loadTls(tls);
      if (tls.insecureSkipVerify === true) {
        this.#log.warn(
          { url: this.#broker },
          'INSECURE: mqtt.tls.insecureSkipVerify is set; the broker certificate is NOT verified and anyone on the network path can impersonate the broker',
        );
      }
    }
    this.#running = true;
    beforeConnect();
    const { clientId, protocolVersion } = this.#options;
    this.#log.info({ url: this.#broker, clientId, protocolVersion }, 'connecting to MQTT broker');
    this.#connect();
  }

  /**
   * Stops reconnecting, waits up to `drainMs` for in-flight PUBACKs, publishes the offline status and
   * disconnects cleanly; a connection not yet made is dropped.
   */
  async disconnect(drainMs: number): Promise<void> {
    this.#running = false;
    if (this.#reconnectTimer !== undefined) this.#options.clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const session = this.#session;
    if (session?.active === true) {
      const deadline = Date.now() + drainMs;
      await this.#parts.window.drained(session, deadline);
      await this.#parts.acks.flush();
      if (session.active && this.#options.statusTopic !== undefined) {
        await this.#publishStatus(session, 'offline', Math.max(100, deadline - Date.now())).catch(
          (error: unknown) => this.#log.warn({ err: error }, 'could not publish the offline status'),
        );
      }
      this.end(session, undefined);
      await endClient(session.client, false, Math.max(100, deadline - Date.now()));
    } else if (session !== undefined) {
      this.end(session, undefined);
      await endClient(session.client, true, 100);
    }
  }

  /** Forgets everything in flight on this connection (the queue still holds it); with an error, drops it. */
  end(session: Session, error: string | undefined): void {
    if (error !== undefined) this.#setError(error);
    this.#parts.window.forget(session);
    this.#parts.lanes.halt(session);
    session.ready = false;
    if (!session.active) return;
    session.active = false;
    // Destroys the socket; the callback (or 'close', whichever first) schedules the reconnect.
    if (error !== undefined) session.client.end(true, () => this.#onClose(session));
  }

  emit(state: PublisherState, error?: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(state, error);
      } catch (err) {
        this.#log.error({ err }, 'publisher state listener failed');
      }
    }
  }

  #connect(): void {
    const o = this.#options;
    this.emit('connecting');
    const client = mqtt.connect(o.url, mqttClientOptions(o, this.#tls));
    const session = newSession(client, o.inflight);
    this.#session = session;
    client.on('connect', (connack) => void this.#onConnect(session, connack));
    client.on('error', (error) => this.#setError(describeConnectError(error, this.#errorContext())));
    client.on('disconnect', (packet) => {
      const reason = packet.reasonCode ?? 0;
      this.#setError(`MQTT broker ${this.#broker} disconnected this gateway (reason code ${reason})`);
    });
    client.on('close', () => this.#onClose(session));
  }

  async #onConnect(session: Session, connack: IConnackPacket): Promise<void> {
    if (this.#session !== session || !this.#running) return;
    session.active = true;
    session.connectedAt = this.#options.clock.now();
    // MQTT 5: never more in flight than the broker said it can take (Receive Maximum, spec 3.2.2.3.3).
    const receiveMaximum = connack.properties?.receiveMaximum;
    session.window = Math.min(this.#options.inflight, receiveMaximum ?? Number.MAX_SAFE_INTEGER);
    if (this.#everConnected) this.#counters.reconnects++;
    this.#everConnected = true;
    this.#backoff.reset();
    this.#lastError = undefined;
    this.#lastLoggedError = undefined;
    this.#log.info({ url: this.#broker, window: session.window }, 'connected to MQTT broker');
    this.emit('connected');
    // PUBACKed seqs whose queue ack is still pending would otherwise be read and sent once more.
    await this.#parts.acks.flush();
    if (!session.active) return;
    if (this.#options.statusTopic !== undefined) {
      try {
        await this.#publishStatus(session, 'online', this.#options.publishTimeoutMs);
      } catch (error) {
        if (!session.active) return;
        if (error instanceof StatusTimeout) return this.end(session, error.message);
        this.#log.error({ err: error, topic: this.#options.statusTopic }, 'broker refused the online status');
      }
    }
    if (!session.active) return;
    this.#parts.lanes.open(session);
  }

  #onClose(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    const wasActive = session.active;
    this.end(session, undefined);
    if (this.#session !== session || !this.#running) return;
    this.#parts.lanes.wentDown();
    if (wasActive) {
      this.#log.warn(
        { url: this.#broker, error: this.#lastError },
        'connection to MQTT broker lost; unacknowledged messages will be resent',
      );
    }
    this.emit('disconnected', this.#lastError);
    const delay = this.#backoff.next();
    this.#reconnectTimer = this.#options.clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#running) this.#connect();
    }, delay);
  }

  #publishStatus(session: Session, state: 'online' | 'offline', timeoutMs: number): Promise<void> {
    const o = this.#options;
    const unstored = state === 'online' ? this.#queue.stats().unstoredSeqs : undefined;
    const payload = statusPayload(state, o.gatewayId, o.bootId, Date.now(), unstored);
    return publishStatus(session.client, o.statusTopic!, state, payload, timeoutMs);
  }

  #errorContext() {
    return { url: this.#broker, hasClientCert: this.#tls?.cert !== undefined };
  }

  /**
   * Logs a problem once per change, not once per retry (a broker down for an hour is one log line). The
   * text may quote a library's error, which may quote the URL: masked like every printed URL.
   */
  #setError(problem: string): void {
    const message = redactUrls(problem);
    this.#lastError = message;
    if (message === this.#lastLoggedError) {
      this.#log.debug(message);
      return;
    }
    this.#lastLoggedError = message;
    this.#log.error(message);
  }
}
