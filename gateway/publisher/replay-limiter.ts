/**
 * Token bucket for historical (backlog) messages: at most `ratePerSecond` on average, with bursts of up
 * to one second's worth. Live messages never take tokens (see docs/delivery.md for the trade-off).
 */
export class ReplayLimiter {
  readonly #rate: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, now: () => number = Date.now) {
    this.#rate = Math.max(1, ratePerSecond);
    this.#now = now;
    this.#tokens = this.#rate;
    this.#last = now();
  }

  /** Takes a token and returns 0, or returns the ms to wait before a token is available (takes none). */
  take(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }
}
