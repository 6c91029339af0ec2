/**
 * The manual clock the schedule tests run on: timers fire in due order at their own due time, intervals
 * re-arm, cleared timers never fire, and advanceAsync lets an async loop schedule its next step.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../core/clock.ts';

describe('ManualClock', () => {
  it('fires timers in due order, each seeing its own due time, and nothing past the advance', () => {
    const clock = new ManualClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`tie@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push('late'), 301);
    clock.advance(300);
    expect(fired).toEqual(['a@1100', 'tie@1100', 'b@1200']);
    expect(clock.now()).toBe(1_300);
    expect(clock.pending).toBe(1);
  });

  it('re-arms intervals until cleared and never fires a cleared timeout', () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const interval = clock.setInterval(() => ticks.push(clock.now()), 250);
    const cancelled = clock.setTimeout(() => ticks.push(-1), 100);
    clock.clearTimeout(cancelled);
    clock.advance(1_000);
    expect(ticks).toEqual([250, 500, 750, 1_000]);
    clock.clearInterval(interval);
    clock.advance(1_000);
    expect(ticks).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('fires a timer set by a firing timer within the same advance when it falls due', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const step = () => {
      fired.push(clock.now());
      clock.setTimeout(step, 400);
    };
    clock.setTimeout(step, 400);
    clock.advance(1_000);
    expect(fired).toEqual([400, 800]);
  });

  it('advanceAsync runs an async loop that awaits between steps', async () => {
    const clock = new ManualClock();
    const polls: number[] = [];
    const poll = async () => {
      await Promise.resolve('reply');
      polls.push(clock.now());
      if (polls.length < 5) clock.setTimeout(() => void poll(), 100);
    };
    clock.setTimeout(() => void poll(), 100);
    await clock.advanceAsync(1_000);
    expect(polls).toEqual([100, 200, 300, 400, 500]);
  });
});

describe('systemClock', () => {
  it('runs a real timer and clears another', async () => {
    const order: string[] = [];
    const cleared = systemClock.setTimeout(() => order.push('cleared'), 1);
    systemClock.clearTimeout(cleared);
    await new Promise<void>((resolve) => systemClock.setTimeout(() => resolve(), 5));
    expect(order).toEqual([]);
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1_000);
  });
});
