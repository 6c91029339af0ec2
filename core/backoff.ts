/**
 * Jittered exponential backoff, shared by every connection (Modbus, OPC UA, MQTT) so that a plant full
 * of gateways does not reconnect in lock-step after a switch reboots ("full jitter", AWS architecture
 * blog). Never gives up: the delay just stays at `maxMs`.
 */
export interface BackoffOptions {
  /** First delay in ms (default 500). */
  readonly initialMs?: number;
  /** Upper bound in ms (default 30 000). */
  readonly maxMs?: number;
  /** Growth factor per failure (default 2). */
  readonly factor?: number;
  /** Fraction of the delay that is randomised, 0..1 (default 0.5: delay ∈ [d/2, d]). */
  readonly jitter?: number;
  /** Random source in [0,1); injectable for tests. */
  readonly random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.#random = options.random ?? Math.random;
  }

  /** Failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    this.#attempt++;
    return Math.round(base * (1 - this.#jitter * this.#random()));
  }

  /** Call after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}
