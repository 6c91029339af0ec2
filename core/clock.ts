/**
 * Time and timers behind one small interface, so that schedules (poll intervals, backoff waits, heartbeats,
 * report intervals) are driven by an injected clock: the running gateway uses `systemClock`, tests a
 * `ManualClock` they advance themselves instead of counting polls in wall-clock seconds.
 */

/** Opaque: only the clock that made a handle can clear it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Epoch ms. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** Node's clock and timers, as they are (a pending timer keeps the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Node's timers with a monotonic `now` (performance.now, ms since process start): for schedules, which
 * must not jump when the wall clock is set. */
export const monotonicClock: Clock = { ...systemClock, now: () => performance.now() };

/** Node's timers unref'd: for housekeeping (report intervals) that must not hold a stopping process open. */
export const backgroundClock: Clock = {
  ...systemClock,
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  setInterval: (callback, ms) => setInterval(callback, ms).unref(),
};

interface ManualTimer {
  due: number;
  readonly order: number;
  readonly callback: () => void;
  /** Set for intervals: re-armed this far ahead each time it fires. */
  readonly everyMs: number | undefined;
}

/**
 * A clock that moves only when the test says so. Timers fire in due order (ties in the order they were
 * set), each at its own due time, so a callback that reads `now()` sees the time it was scheduled for.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #nextOrder = 0;
  readonly #timers = new Map<number, ManualTimer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Timers set and not yet fired or cleared (intervals count until cleared). */
  get pending(): number {
    return this.#timers.size;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (synchronously). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#due(until); next !== undefined; next = this.#due(until)) this.#fire(next);
    this.#now = until;
  }

  /**
   * Like `advance`, but lets promise callbacks and I/O callbacks run after each timer: for async loops
   * (a poll that awaits its reply, then schedules the next poll).
   */
  async advanceAsync(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (let next = this.#due(until); next !== undefined; next = this.#due(until)) {
      this.#fire(next);
      await settle();
    }
    this.#now = until;
  }

  #add(callback: () => void, ms: number, everyMs: number | undefined): number {
    const id = this.#nextId++;
    const delay = Math.max(0, Number.isFinite(ms) ? ms : 0);
    this.#timers.set(id, { due: this.#now + delay, order: this.#nextOrder++, callback, everyMs });
    return id;
  }

  #due(until: number): [number, ManualTimer] | undefined {
    let best: [number, ManualTimer] | undefined;
    for (const entry of this.#timers) {
      const timer = entry[1];
      if (timer.due > until) continue;
      if (
        best === undefined ||
        timer.due < best[1].due ||
        (timer.due === best[1].due && timer.order < best[1].order)
      ) {
        best = entry;
      }
    }
    return best;
  }

  #fire([id, timer]: [number, ManualTimer]): void {
    this.#now = timer.due;
    if (timer.everyMs === undefined) this.#timers.delete(id);
    else this.#timers.set(id, { ...timer, due: timer.due + timer.everyMs, order: this.#nextOrder++ });
    timer.callback();
  }
}

/** One turn of the event loop: pending promise reactions and ready I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
