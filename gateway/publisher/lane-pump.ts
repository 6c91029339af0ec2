/**
 * The lanes of each connection: live data (seqs queued after the connection was made, BacklogBoundary)
 * and the backlog (what waited through a restart or an outage, published as historical), each a
 * QueueLane in seq order. The pump fills the in-flight window from the live lane first, then from the
 * backlog, whose rate the replay limiter may cap: over the cap the backlog waits, live data does not.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../log.ts';
import type { MessageQueue } from '../queue/queue.ts';
import { BacklogBoundary } from './backlog-boundary.ts';
import type { InflightWindow } from './inflight-window.ts';
import { QueueLane } from './lane.ts';
import type { ReplayLimiter } from './replay-limiter.ts';
import type { Session } from './session.ts';

/** After a failed queue read the pump tries again this much later. */
const QUEUE_RETRY_MS = 1000;

export class LanePump {
  readonly #queue: MessageQueue;
  readonly #log: Logger;
  readonly #limiter: ReplayLimiter | undefined;
  readonly #window: InflightWindow;
  readonly #clock: Clock;
  readonly #boundary = new BacklogBoundary();
  /** False once the publisher stops: nothing new goes out, even on a connection still draining. */
  readonly #running: () => boolean;

  constructor(
    queue: MessageQueue,
    log: Logger,
    limiter: ReplayLimiter | undefined,
    window: InflightWindow,
    clock: Clock,
    running: () => boolean,
  ) {
    this.#queue = queue;
    this.#log = log;
    this.#limiter = limiter;
    this.#window = window;
    this.#clock = clock;
    this.#running = running;
  }

  /** The publisher starts: everything queued so far is backlog. */
  started(): void {
    this.#boundary.started(this.#queue.stats().nextSeq);
  }

  /** A connection ended or an attempt failed: what is queued from now on waits through an outage. */
  wentDown(): void {
    this.#boundary.wentDown();
  }

  /** The connection is ready (online status out): split the queue into its lanes and start publishing. */
  open(session: Session): void {
    const boundary = this.#boundary.connected(this.#queue.stats().nextSeq);
    session.live = new QueueLane(boundary - 1);
    session.backlog = new QueueLane(0, boundary);
    session.ready = true;
    void this.pump(session);
  }

  /** The connection ended: the backlog no longer waits for the replay cap. */
  halt(session: Session): void {
    if (session.replayTimer !== undefined) this.#clock.clearTimeout(session.replayTimer);
    session.replayTimer = undefined;
  }

  /** Fills the in-flight window from the queue. Re-entrant calls just ask the running loop for another round. */
  async pump(session: Session): Promise<void> {
    if (session.pumping) {
      session.pumpAgain = true;
      return;
    }
    session.pumping = true;
    try {
      while (session.ready && this.#running()) {
        session.pumpAgain = false;
        let sent = await this.#drain(session, session.live, false);
        if (!session.ready || !this.#running()) return;
        if (session.replayTimer === undefined) sent += await this.#drain(session, session.backlog, true);
        if (sent === 0 && !session.pumpAgain) break;
      }
    } catch (error) {
      this.#log.error({ err: error }, 'reading the queue failed; retrying in %d ms', QUEUE_RETRY_MS);
      this.#clock.setTimeout(() => void this.pump(session), QUEUE_RETRY_MS);
    } finally {
      session.pumping = false;
    }
  }

  /** Publishes from one lane into the free part of the window; returns how many went out. */
  async #drain(session: Session, lane: QueueLane, historical: boolean): Promise<number> {
    let room = session.window - session.inflight.size;
    if (room <= 0 || lane.done) return 0;
    if ((await lane.fill(this.#queue, session.window)) === 0) return 0;
    if (!session.ready || !this.#running()) return 0;
    let sent = 0;
    for (; room > 0; room--) {
      const message = lane.next();
      if (message === undefined) break;
      if (historical && this.#limiter !== undefined) {
        const wait = this.#limiter.take();
        if (wait > 0) {
          // Over the replay cap: the backlog waits, live data does not.
          lane.unread();
          session.replayTimer = this.#clock.setTimeout(() => {
            session.replayTimer = undefined;
            void this.pump(session);
          }, wait);
          break;
        }
      }
      this.#window.publish(session, message, historical);
      sent++;
    }
    return sent;
  }
}
