import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FixedRateLoop } from '../../../drivers/modbus/fixed-rate-loop.ts';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A loop whose k-th run takes durations[k] ms (0 after the list), recording start times. */
function loopWithDurations(durations: number[], intervalMs = 100) {
  const starts: number[] = [];
  const errors: unknown[] = [];
  const t0 = Date.now();
  const loop = new FixedRateLoop({
    intervalMs,
    now: () => Date.now(),
    run: async () => {
      const duration = durations[starts.length] ?? 0;
      starts.push(Date.now() - t0);
      if (duration > 0) await new Promise((resolve) => setTimeout(resolve, duration));
    },
    onError: (error) => errors.push(error),
  });
  return { loop, starts, errors };
}

describe('FixedRateLoop', () => {
  it('starts runs on a fixed grid whatever each run takes (no drift)', async () => {
    const { loop, starts } = loopWithDurations([30, 70, 99, 1, 50]);
    loop.start();
    await vi.advanceTimersByTimeAsync(450);
    await loop.stop();
    expect(starts).toEqual([0, 100, 200, 300, 400]);
    expect(loop.overruns).toBe(0);
  });

  it('starts the next run right after an overrun, counts it, and does not catch up in a burst', async () => {
    const { loop, starts } = loopWithDurations([10, 250, 10, 10, 10]);
    loop.start();
    await vi.advanceTimersByTimeAsync(560);
    await loop.stop();
    expect(starts).toEqual([0, 100, 350, 450, 550]);
    expect(loop.overruns).toBe(1);
    expect(loop.runs).toBe(5);
  });

  it('reports a failing run and keeps going', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const loop = new FixedRateLoop({
      intervalMs: 10,
      now: () => Date.now(),
      run: async () => {
        runs++;
        throw new Error(`run ${runs} failed`);
      },
      onError: (error) => errors.push(error),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(25);
    await loop.stop();
    expect(runs).toBe(3);
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'run 1 failed',
      'run 2 failed',
      'run 3 failed',
    ]);
  });

  it('starts nothing after stop and waits for the run in progress', async () => {
    let finished = false;
    const slow = new FixedRateLoop({
      intervalMs: 10,
      now: () => Date.now(),
      run: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
      },
      onError: () => {},
    });
    slow.start();
    const stopped = slow.stop();
    await vi.advanceTimersByTimeAsync(50);
    await stopped;
    expect(finished).toBe(true);
    expect(slow.runs).toBe(1);

    const { loop, starts } = loopWithDurations([]);
    loop.start();
    await loop.stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(starts).toEqual([0]);
  });
});
