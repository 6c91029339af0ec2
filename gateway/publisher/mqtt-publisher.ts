/**
 * The northbound publisher: reads messages from the durable queue, publishes them with QoS 1, and acks
 * them in the queue only on PUBACK. At-least-once: duplicates are possible after a reconnect, loss is not.
 *
 * Why one MQTT.js client per connection, with MQTT.js's own reconnect off (`reconnectPeriod: 0`):
 * MQTT.js keeps unacknowledged QoS 1 messages in an in-memory store and replays them itself on
 * reconnect, and its callbacks may never fire for a connection that died. Two owners of "what is in
 * flight" is how messages get lost or reordered. Here the queue is the only owner: when a connection
 * ends (close, publish timeout, transient negative PUBACK) the client is thrown away with its store,
 * our in-flight set is forgotten, and the next connection reads again from the oldest unacknowledged
 * seq. Reconnects are driven by gateway/backoff.ts (jittered exponential), not MQTT.js's fixed period.
 *
 * Order: messages are published in seq order on one connection and a new connection starts again from
 * the oldest unacknowledged one, so each topic sees its messages in order (duplicates aside).
 */
import mqtt, { type IConnackPacket } from 'mqtt';
import { Backoff } from '../backoff.ts';
import type { Logger } from '../log.ts';
import type { MessageQueue, QueuedMessage } from '../queue/queue.ts';
import { AckBatcher } from './ack-batcher.ts';
import { BacklogBoundary } from './backlog-boundary.ts';
import { mqttClientOptions } from './client-options.ts';
import { describeConnectError } from './connect-errors.ts';
import { QueueLane } from './lane.ts';
import { type PublisherOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { isPermanentRejection } from './puback.ts';
import type { Publisher, PublisherMetrics, PublisherState, PublisherStateListener } from './publisher.ts';
import { redactUrls } from './redact-url.ts';
import { RejectionReporter } from './rejection-reporter.ts';
import { ReplayLimiter } from './replay-limiter.ts';
import { corkUntilEndOfTurn, endClient, newSession, type Session } from './session.ts';
import { createStamper } from './stamp.ts';
import { publishStatus, StatusTimeout, statusPayload } from './status.ts';
import { loadTls, type MqttTlsOptions } from './tls.ts';

export type { PublisherOptions, PublisherTlsOptions } from './options.ts';
export type { Publisher, PublisherMetrics, PublisherState, PublisherStateListener } from './publisher.ts';

export function createPublisher(options: PublisherOptions, queue: MessageQueue, log: Logger): Publisher {
  return new MqttPublisher(resolveOptions(options), queue, log.child({ component: 'mqtt' }));
}

const QUEUE_RETRY_MS = 1000;

class MqttPublisher implements Publisher {
  readonly #options: ResolvedOptions;
  readonly #queue: MessageQueue;
  readonly #log: Logger;
  readonly #stamper;
  readonly #acks: AckBatcher;
  readonly #backoff: Backoff;
  readonly #limiter: ReplayLimiter | undefined;
  readonly #boundary = new BacklogBoundary();
  readonly #rejections: RejectionReporter;
  /** The broker URL as printed: a password in it (embedders may pass one) is masked. */
  readonly #broker: string;
  readonly #listeners = new Set<PublisherStateListener>();
  readonly #counters = { published: 0, acknowledged: 0, resent: 0, replayed: 0, rejected: 0, reconnects: 0 };
  #tls: MqttTlsOptions | undefined;
  #session: Session | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #running = false;
  #everConnected = false;
  /** Seqs that were in flight when a connection ended: publishing one again counts as a resend. */
  readonly #unconfirmed = new Set<number>();
  #peakInflight = 0;
  #lastError: string | undefined;
  #lastLoggedError: string | undefined;

  constructor(options: ResolvedOptions, queue: MessageQueue, log: Logger) {
    this.#options = options;
    this.#queue = queue;
    this.#log = log;
    this.#stamper = createStamper(options.bootId);
    this.#acks = new AckBatcher(queue, log, options.ackBatchMs);
    this.#backoff = new Backoff(options.reconnect);
    this.#limiter =
      options.replayRatePerSecond === undefined ? undefined : new ReplayLimiter(options.replayRatePerSecond);
    this.#rejections = new RejectionReporter(log, options.rejectionLogIntervalMs, options.rejectionTimers);
    this.#broker = redactUrls(options.url);
  }

  async start(): Promise<void> {
    if (this.#running) return;
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
    this.#boundary.started(this.#queue.stats().nextSeq);
    this.#unsubscribe = this.#queue.onAppend(() => {
      const session = this.#session;
      if (session?.ready === true) void this.#pump(session);
    });
    this.#log.info(
      {
        url: this.#broker,
        clientId: this.#options.clientId,
        protocolVersion: this.#options.protocolVersion,
      },
      'connecting to MQTT broker',
    );
    this.#connect();
  }

  async stop(options: { readonly drainMs?: number } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const drainMs = options.drainMs ?? 2000;
    const session = this.#session;
    if (session?.active === true) {
      const deadline = Date.now() + drainMs;
      while (session.active && session.inflight.size > 0 && Date.now() < deadline) await sleep(10);
      await this.#acks.flush();
      if (session.active && this.#options.statusTopic !== undefined) {
        await this.#publishStatus(session, 'offline', Math.max(100, deadline - Date.now())).catch(
          (error: unknown) => this.#log.warn({ err: error }, 'could not publish the offline status'),
        );
      }
      this.#endSession(session, undefined);
      await endClient(session.client, false, Math.max(100, deadline - Date.now()));
    } else if (session !== undefined) {
      this.#endSession(session, undefined);
      await endClient(session.client, true, 100);
    }
    await this.#acks.flush();
    this.#acks.cancel();
    this.#rejections.close();
    this.#emit('stopped');
    this.#log.info(this.#counters, 'MQTT publisher stopped');
  }

  metrics(): PublisherMetrics {
    const session = this.#session;
    return {
      ...this.#counters,
      inflight: session?.inflight.size ?? 0,
      peakInflight: this.#peakInflight,
      window: session?.window ?? this.#options.inflight,
      connected: session?.active === true,
      lastError: this.#lastError,
    };
  }

  onState(listener: PublisherStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #connect(): void {
    const o = this.#options;
    this.#emit('connecting');
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
    session.connectedAt = Date.now();
    // MQTT 5: never more in flight than the broker said it can take (Receive Maximum, spec 3.2.2.3.3).
    const receiveMaximum = connack.properties?.receiveMaximum;
    session.window = Math.min(this.#options.inflight, receiveMaximum ?? Number.MAX_SAFE_INTEGER);
    if (this.#everConnected) this.#counters.reconnects++;
    this.#everConnected = true;
    this.#backoff.reset();
    this.#lastError = undefined;
    this.#lastLoggedError = undefined;
    this.#log.info({ url: this.#broker, window: session.window }, 'connected to MQTT broker');
    this.#emit('connected');
    // PUBACKed seqs whose queue ack is still pending would otherwise be read and sent once more.
    await this.#acks.flush();
    if (!session.active) return;
    if (this.#options.statusTopic !== undefined) {
      try {
        await this.#publishStatus(session, 'online', this.#options.publishTimeoutMs);
      } catch (error) {
        if (!session.active) return;
        if (error instanceof StatusTimeout) return this.#endSession(session, error.message);
        this.#log.error({ err: error, topic: this.#options.statusTopic }, 'broker refused the online status');
      }
    }
    if (!session.active) return;
    const boundary = this.#boundary.connected(this.#queue.stats().nextSeq);
    session.live = new QueueLane(boundary - 1);
    session.backlog = new QueueLane(0, boundary);
    session.ready = true;
    void this.#pump(session);
  }

  #onClose(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    const wasActive = session.active;
    this.#endSession(session, undefined);
    if (this.#session !== session || !this.#running) return;
    this.#boundary.wentDown();
    if (wasActive) {
      this.#log.warn(
        { url: this.#broker, error: this.#lastError },
        'connection to MQTT broker lost; unacknowledged messages will be resent',
      );
    }
    this.#emit('disconnected', this.#lastError);
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#running) this.#connect();
    }, delay);
  }

  /** Forgets everything in flight on this connection; the queue still holds it. */
  #endSession(session: Session, error: string | undefined): void {
    if (error !== undefined) this.#setError(error);
    clearInterval(session.timeoutTimer);
    session.timeoutTimer = undefined;
    // Bounded by the window per lost connection; cleared if a long flapping spell piles them up.
    if (this.#unconfirmed.size > 1_000_000) this.#unconfirmed.clear();
    for (const seq of session.inflight.keys()) this.#unconfirmed.add(seq);
    session.inflight.clear();
    clearTimeout(session.replayTimer);
    session.replayTimer = undefined;
    session.ready = false;
    if (!session.active) return;
    session.active = false;
    // Destroys the socket; the callback (or 'close', whichever first) schedules the reconnect.
    if (error !== undefined) session.client.end(true, () => this.#onClose(session));
  }

  /** Fills the in-flight window from the queue. Re-entrant calls just ask the running loop for another round. */
  async #pump(session: Session): Promise<void> {
    if (session.pumping) {
      session.pumpAgain = true;
      return;
    }
    session.pumping = true;
    try {
      while (session.ready && this.#running) {
        session.pumpAgain = false;
        let sent = await this.#drain(session, session.live, false);
        if (!session.ready || !this.#running) return;
        if (session.replayTimer === undefined) sent += await this.#drain(session, session.backlog, true);
        if (sent === 0 && !session.pumpAgain) break;
      }
    } catch (error) {
      this.#log.error({ err: error }, 'reading the queue failed; retrying in %d ms', QUEUE_RETRY_MS);
      setTimeout(() => void this.#pump(session), QUEUE_RETRY_MS);
    } finally {
      session.pumping = false;
    }
  }

  /** Publishes from one lane into the free part of the window; returns how many went out. */
  async #drain(session: Session, lane: QueueLane, historical: boolean): Promise<number> {
    let room = session.window - session.inflight.size;
    if (room <= 0 || lane.done) return 0;
    if ((await lane.fill(this.#queue, session.window)) === 0) return 0;
    if (!session.ready || !this.#running) return 0;
    let sent = 0;
    for (; room > 0; room--) {
      const message = lane.next();
      if (message === undefined) break;
      if (historical && this.#limiter !== undefined) {
        const wait = this.#limiter.take();
        if (wait > 0) {
          // Over the replay cap: the backlog waits, live data does not.
          lane.unread();
          session.replayTimer = setTimeout(() => {
            session.replayTimer = undefined;
            void this.#pump(session);
          }, wait);
          break;
        }
      }
      this.#publish(session, message, historical);
      sent++;
    }
    return sent;
  }

  #publish(session: Session, message: QueuedMessage, historical: boolean): void {
    const { seq } = message;
    this.#counters.published++;
    if (this.#unconfirmed.delete(seq)) this.#counters.resent++;
    if (historical) this.#counters.replayed++;
    session.inflight.set(seq, Date.now());
    session.timeoutTimer ??= this.#startTimeoutCheck(session);
    if (session.inflight.size > this.#peakInflight) this.#peakInflight = session.inflight.size;
    const payload = this.#stamper.payload(message.payload, seq, historical);
    // MQTT 5 user properties carry the stamp only where the payload cannot (not a JSON object): two
    // properties per message cost ~25% more CPU per publish here, and the broker and every consumer pay
    // for them again (bench/README.md). JSON payloads already start with the same fields.
    const publishOptions =
      this.#options.protocolVersion === 5 && payload === message.payload
        ? {
            qos: message.qos,
            retain: message.retain,
            properties: { userProperties: this.#stamper.userProperties(seq, historical) },
          }
        : { qos: message.qos, retain: message.retain };
    corkUntilEndOfTurn(session);
    session.client.publish(message.topic, payload, publishOptions, (error) => {
      // Callbacks of a connection we already gave up on are ignored: the queue still has the message.
      if (!session.active || !session.inflight.has(seq)) return;
      if (error !== undefined && error !== null) {
        const code = (error as { code?: unknown }).code;
        if (!isPermanentRejection(code)) {
          return this.#endSession(
            session,
            `MQTT broker ${this.#broker} refused seq ${seq}: ${error.message}`,
          );
        }
        this.#counters.rejected++;
        const reason = error.message.replace(/^Publish error: /, '');
        this.#rejections.report({ topic: message.topic, seq, reasonCode: code as number, reason });
      } else {
        this.#counters.acknowledged++;
      }
      session.inflight.delete(seq);
      this.#acks.add(seq);
      void this.#pump(session);
    });
  }

  /** Checks the oldest in-flight publish a few times per timeout period (one timer, not one per message). */
  #startTimeoutCheck(session: Session): NodeJS.Timeout {
    const timeoutMs = this.#options.publishTimeoutMs;
    const timer = setInterval(
      () => {
        for (const [seq, sentAt] of session.inflight) {
          if (Date.now() - sentAt >= timeoutMs) {
            this.#endSession(
              session,
              `no PUBACK from MQTT broker ${this.#broker} within ${timeoutMs} ms (seq ${seq}); reconnecting`,
            );
          }
          break; // only the oldest matters: later ones were published after it
        }
      },
      Math.max(50, Math.floor(timeoutMs / 4)),
    );
    timer.unref();
    return timer;
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

  #emit(state: PublisherState, error?: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(state, error);
      } catch (err) {
        this.#log.error({ err }, 'publisher state listener failed');
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
