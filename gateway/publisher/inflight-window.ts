/**
 * The in-flight window of the publisher: each queue message published with QoS 1 is in flight until its
 * PUBACK, at most `session.window` at once. A PUBACK hands the seq to the ack batcher (deleted from the
 * queue only then) and frees a slot; an MQTT 5 refusal for good is counted, reported and acked too (one
 * bad message must not block the queue); a transient refusal or a PUBACK missing for `publishTimeoutMs`
 * ends the connection, and what was in flight is read again from the queue on the next one.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { QueuedMessage } from '../queue/queue.ts';
import type { AckBatcher } from './ack-batcher.ts';
import type { ResolvedOptions } from './options.ts';
import { isPermanentRejection } from './puback.ts';
import type { RejectionReporter } from './rejection-reporter.ts';
import { corkUntilEndOfTurn, type Session } from './session.ts';
import { createStamper } from './stamp.ts';

/** The publisher's counters: one object shared by its parts (the stop log line prints it whole). */
export interface PublishCounters {
  published: number;
  acknowledged: number;
  resent: number;
  replayed: number;
  rejected: number;
  reconnects: number;
}

/** What the window asks of the connection's owner. */
export interface SessionControl {
  /** Ends the connection because of `error`; the queue still holds everything in flight. */
  end(session: Session, error: string): void;
  /** A slot is free: publish more. */
  pump(session: Session): void;
}

/** Past this many, the seqs remembered as unconfirmed are forgotten (a long flapping spell). */
const MAX_UNCONFIRMED = 1_000_000;

export class InflightWindow {
  readonly #options: ResolvedOptions;
  readonly #broker: string;
  readonly #counters: PublishCounters;
  readonly #acks: AckBatcher;
  readonly #rejections: RejectionReporter;
  readonly #control: SessionControl;
  readonly #stamper;
  readonly #clock: Clock;
  /** Seqs that were in flight when a connection ended: publishing one again counts as a resend. */
  readonly #unconfirmed = new Set<number>();
  #peak = 0;

  constructor(
    options: ResolvedOptions,
    broker: string,
    counters: PublishCounters,
    parts: { readonly acks: AckBatcher; readonly rejections: RejectionReporter },
    control: SessionControl,
  ) {
    this.#options = options;
    this.#broker = broker;
    this.#counters = counters;
    this.#acks = parts.acks;
    this.#rejections = parts.rejections;
    this.#control = control;
    this.#stamper = createStamper(options.bootId);
    this.#clock = options.clock;
  }

  /** Most messages ever in flight at once. */
  get peak(): number {
    return this.#peak;
  }

  publish(session: Session, message: QueuedMessage, historical: boolean): void {
    const { seq } = message;
    this.#counters.published++;
    if (this.#unconfirmed.delete(seq)) this.#counters.resent++;
    if (historical) this.#counters.replayed++;
    session.inflight.set(seq, this.#clock.now());
    session.timeoutTimer ??= this.#startTimeoutCheck(session);
    if (session.inflight.size > this.#peak) this.#peak = session.inflight.size;
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
    session.client.publish(message.topic, payload, publishOptions, (error) =>
      this.#onPuback(session, message, error),
    );
  }

  /** The connection ended: nothing is in flight on it any more (the queue still holds it all). */
  forget(session: Session): void {
    if (session.timeoutTimer !== undefined) this.#clock.clearInterval(session.timeoutTimer);
    session.timeoutTimer = undefined;
    // Bounded by the window per lost connection; cleared if a long flapping spell piles them up.
    if (this.#unconfirmed.size > MAX_UNCONFIRMED) this.#unconfirmed.clear();
    for (const seq of session.inflight.keys()) this.#unconfirmed.add(seq);
    session.inflight.clear();
  }

  /** Waits (at a clean stop) until every PUBACK is in, the connection ended or `deadline` passed. */
  async drained(session: Session, deadline: number): Promise<void> {
    while (session.active && session.inflight.size > 0 && Date.now() < deadline) await sleep(10);
  }

  #onPuback(session: Session, message: QueuedMessage, error: Error | undefined | null): void {
    const { seq } = message;
    // Callbacks of a connection we already gave up on are ignored: the queue still has the message.
    if (!session.active || !session.inflight.has(seq)) return;
    if (error !== undefined && error !== null) {
      const code = (error as { code?: unknown }).code;
      if (!isPermanentRejection(code)) {
        this.#control.end(session, `MQTT broker ${this.#broker} refused seq ${seq}: ${error.message}`);
        return;
      }
      this.#counters.rejected++;
      const reason = error.message.replace(/^Publish error: /, '');
      this.#rejections.report({ topic: message.topic, seq, reasonCode: code as number, reason });
    } else {
      this.#counters.acknowledged++;
    }
    session.inflight.delete(seq);
    this.#acks.add(seq);
    this.#control.pump(session);
  }

  /** Checks the oldest in-flight publish a few times per timeout period (one timer, not one per message). */
  #startTimeoutCheck(session: Session): TimerHandle {
    const timeoutMs = this.#options.publishTimeoutMs;
    const timer = this.#clock.setInterval(
      () => {
        for (const [seq, sentAt] of session.inflight) {
          if (this.#clock.now() - sentAt >= timeoutMs) {
            this.#control.end(
              session,
              `no PUBACK from MQTT broker ${this.#broker} within ${timeoutMs} ms (seq ${seq}); reconnecting`,
            );
          }
          break; // only the oldest matters: later ones were published after it
        }
      },
      Math.max(50, Math.floor(timeoutMs / 4)),
    );
    // Must not hold a stopping process open (Node's timers only; a ManualClock has no unref).
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
