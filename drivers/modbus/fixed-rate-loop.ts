/**
 * Runs an async task on a fixed-rate schedule: run k starts at start + k·interval, so a slow run does not
 * shift the later ones (no drift). A run that overruns its slot is followed at once by the next run and
 * the schedule restarts from there: runs never overlap and missed slots are not made up in a burst.
 */
export interface FixedRateLoopOptions {
  readonly intervalMs: number;
  /** Must not reject; a rejection is passed to onError and the loop carries on. */
  readonly run: () => Promise<void>;
  readonly onError: (error: unknown) => void;
  /** Monotonic clock in ms, injectable for tests (default performance.now). */
  readonly now?: () => number;
}

export class FixedRateLoop {
  readonly #options: FixedRateLoopOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #nextDue = 0;
  #stopped = true;
  #runs = 0;
  #overruns = 0;

  constructor(options: FixedRateLoopOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Runs started. */
  get runs(): number {
    return this.#runs;
  }

  /** Runs that ended after the next one was due. */
  get overruns(): number {
    return this.#overruns;
  }

  /** The first run starts at once. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#nextDue = this.#now();
    this.#tick();
  }

  /** No run starts after this; resolves when the run in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#runs++;
    this.#running = this.#runOnce().finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
  }

  async #runOnce(): Promise<void> {
    try {
      await this.#options.run();
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = this.#now();
    this.#nextDue += this.#options.intervalMs;
    if (this.#nextDue <= now) {
      if (this.#nextDue < now) this.#overruns++;
      this.#nextDue = now;
      // Not setTimeout(0): that waits at least 1 ms, and every overrun would shift the grid again.
      this.#tick();
      return;
    }
    this.#timer = setTimeout(() => this.#tick(), this.#nextDue - now);
  }
}
