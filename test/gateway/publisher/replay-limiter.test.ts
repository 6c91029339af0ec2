import { describe, expect, it } from 'vitest';
import { ReplayLimiter } from '../../../gateway/publisher/replay-limiter.ts';

describe('ReplayLimiter', () => {
  it('allows a one-second burst, then one message per 1/rate seconds', () => {
    let now = 1000;
    const limiter = new ReplayLimiter(10, () => now);
    const burst = Array.from({ length: 10 }, () => limiter.take());
    expect(burst).toEqual(new Array(10).fill(0));
    expect(limiter.take()).toBe(100);
    now += 50;
    expect(limiter.take()).toBe(50);
    now += 50;
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBe(100);
  });

  it('does not save up more than one second of tokens', () => {
    let now = 0;
    const limiter = new ReplayLimiter(5, () => now);
    now += 60_000;
    const granted = Array.from({ length: 7 }, () => limiter.take()).filter((wait) => wait === 0);
    expect(granted).toHaveLength(5);
  });
});
