/**
 * Logs messages the broker refused for good (MQTT 5 negative PUBACK, e.g. 0x87 not authorized) once per
 * burst per topic instead of once per message: a topic the ACL denies is refused on every poll, and at
 * 100 messages/s a line per message floods the journal (issue 12: 2,050 lines in 20 s). The pattern and
 * the interval are the queue's DropReporter's: the first refusal of a burst is logged at once, the
 * following ones within `intervalMs` are counted and logged together, with their seq range, when the
 * interval ends. Every refusal is still counted exactly in the publisher's `rejected` metric.
 */
import { backgroundClock, type Clock, type TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../log.ts';

export interface Rejection {
  readonly topic: string;
  readonly seq: number;
  readonly reasonCode: number;
  /** The broker's words for the code, e.g. "Not authorized". */
  readonly reason: string;
}

interface Burst {
  readonly topic: string;
  readonly reasonCode: number;
  readonly reason: string;
  count: number;
  fromSeq: number;
  toSeq: number;
  timer: TimerHandle;
}

export class RejectionReporter {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #timers: Clock;
  /** By topic and reason code: a burst of one topic never hides another topic's first refusal. */
  readonly #bursts = new Map<string, Burst>();

  /** `timers`: unref'd by default, so a burst's report never holds a stopping process open. */
  constructor(log: Logger, intervalMs: number, timers: Clock = backgroundClock) {
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#timers = timers;
  }

  report(rejection: Rejection): void {
    const { topic, seq, reasonCode, reason } = rejection;
    const key = `${reasonCode} ${topic}`;
    const burst = this.#bursts.get(key);
    if (burst !== undefined) {
      if (burst.count === 0) burst.fromSeq = seq;
      burst.count++;
      burst.toSeq = seq;
      return;
    }
    this.#log.error(
      { topic, seq, reasonCode, rejected: 1 },
      `broker refused a message on ${topic} for good (${describe(reasonCode, reason)}); dropped it. ` +
        `Further refusals on this topic are counted and logged every ${this.#intervalMs / 1000} s`,
    );
    const started: Burst = {
      topic,
      reasonCode,
      reason,
      count: 0,
      fromSeq: seq,
      toSeq: seq,
      timer: undefined,
    };
    started.timer = this.#timers.setTimeout(() => this.#end(key, started), this.#intervalMs);
    this.#bursts.set(key, started);
  }

  /** Logs what is pending now and forgets every burst (on stop, so the tail of a burst is not lost). */
  close(): void {
    for (const [key, burst] of this.#bursts) {
      this.#timers.clearTimeout(burst.timer);
      this.#bursts.delete(key);
      this.#summarize(burst);
    }
  }

  /** The interval is over: log its count; a refusal after a quiet interval starts a new burst. */
  #end(key: string, burst: Burst): void {
    if (this.#bursts.get(key) !== burst) return;
    if (burst.count === 0) {
      this.#bursts.delete(key);
      return;
    }
    this.#summarize(burst);
    burst.count = 0;
    burst.timer = this.#timers.setTimeout(() => this.#end(key, burst), this.#intervalMs);
  }

  #summarize(burst: Burst): void {
    if (burst.count === 0) return;
    const { topic, reasonCode, reason, count, fromSeq, toSeq } = burst;
    this.#log.error(
      { topic, reasonCode, rejected: count, fromSeq, toSeq },
      `broker refused ${count.toLocaleString('en-US')} more message${count === 1 ? '' : 's'} on ${topic} ` +
        `for good (${describe(reasonCode, reason)}; seqs ${fromSeq}..${toSeq}); dropped them`,
    );
  }
}

function describe(reasonCode: number, reason: string): string {
  return `${reason}, reason code 0x${reasonCode.toString(16).padStart(2, '0')}`;
}
