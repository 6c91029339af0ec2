/**
 * Per-device circuit breaker (issue 4): a slave that stops answering must not keep eating the line's
 * time of the healthy slaves beside it (each silent poll costs a full timeout). After `threshold`
 * consecutive polls without any reply the circuit opens: the device is then tried only by a probe,
 * spaced by jittered backoff, and never dropped for good; the first reply closes the circuit.
 */
import { Backoff, type BackoffOptions } from '../../core/backoff.ts';

export interface CircuitBreakerOptions {
  /** Consecutive polls without a reply that open the circuit (default 3). */
  readonly threshold?: number;
  /** Spacing of the probes while open (default 1 s growing to 30 s). */
  readonly probe?: BackoffOptions;
}

export type BreakerChange = 'opened' | 'closed' | undefined;

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #probe: Backoff;
  #open = false;
  #silentPolls = 0;
  #nextProbeAt = 0;
  #opens = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = Math.max(1, options.threshold ?? 3);
    this.#probe = new Backoff({ initialMs: 1000, maxMs: 30_000, ...options.probe });
  }

  get open(): boolean {
    return this.#open;
  }

  /** Times the circuit has opened. */
  get opens(): number {
    return this.#opens;
  }

  /** Whether a poll may use the line now: always while closed; while open, only when a probe is due. */
  allows(now: number): boolean {
    return !this.#open || now >= this.#nextProbeAt;
  }

  /** Records a poll that used the line; `answered`: the device replied to anything (exceptions too). */
  record(answered: boolean, now: number): BreakerChange {
    if (answered) {
      this.#silentPolls = 0;
      if (!this.#open) return undefined;
      this.#open = false;
      this.#probe.reset();
      return 'closed';
    }
    if (this.#open) {
      this.#nextProbeAt = now + this.#probe.next();
      return undefined;
    }
    if (++this.#silentPolls < this.#threshold) return undefined;
    this.#open = true;
    this.#opens++;
    this.#nextProbeAt = now + this.#probe.next();
    return 'opened';
  }
}
