/**
 * Sums counts per reason and hands them to `report` once per burst instead of once per event: a full
 * queue drops, and a full disk rejects, on every group commit, and a line per 5 ms batch would flood the
 * journal. The first event of a burst is reported at once; events within the next `intervalMs` are summed
 * and reported together when the interval ends.
 */
import { backgroundClock, type Clock, type TimerHandle } from '../../core/clock.ts';

export class BurstCounter<Reason extends string> {
  readonly #intervalMs: number;
  readonly #report: (counts: ReadonlyMap<Reason, number>) => void;
  readonly #pending = new Map<Reason, number>();
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;

  /** `clock`: unref'd timers by default, so a burst's report never holds a stopping process open. */
  constructor(
    intervalMs: number,
    report: (counts: ReadonlyMap<Reason, number>) => void,
    clock: Clock = backgroundClock,
  ) {
    this.#intervalMs = intervalMs;
    this.#report = report;
    this.#clock = clock;
  }

  add(reason: Reason, count: number): void {
    if (count <= 0) return;
    this.#pending.set(reason, (this.#pending.get(reason) ?? 0) + count);
    if (this.#timer !== undefined) return;
    this.#flush();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#intervalMs);
  }

  /** Reports what is pending now (on close, so the tail of a burst is not lost). */
  close(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    const counts = new Map(this.#pending);
    this.#pending.clear();
    this.#report(counts);
  }
}
