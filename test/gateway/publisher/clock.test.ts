/**
 * The publisher's schedules on a ManualClock (core/clock.ts): the reconnect backoff waits on the injected
 * clock, so its delays are checked by moving time, not by waiting for them. The broker side is a free
 * port on 127.0.0.1 with nothing listening: every attempt is refused at once.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { createPublisher, type PublisherState } from '../../../gateway/publisher/mqtt-publisher.ts';
import { freePort } from '../../helpers/mosquitto.ts';
import { captureLog, openQueue } from './fixtures.ts';

describe('publisher on a manual clock', () => {
  it('reconnects after each backoff delay on the clock, not before', async () => {
    const { log } = captureLog();
    const queue = await openQueue(log);
    const clock = new ManualClock(1_000_000);
    const port = await freePort();
    const publisher = createPublisher(
      {
        url: `mqtt://127.0.0.1:${port}`,
        clientId: 'clock-test',
        gatewayId: 'gw',
        bootId: 'boot',
        reconnect: { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0 },
        clock,
      },
      queue,
      log,
    );
    const states: PublisherState[] = [];
    let downs = 0;
    let wakeDown: (() => void) | undefined;
    publisher.onState((state) => {
      states.push(state);
      if (state === 'disconnected') {
        downs++;
        wakeDown?.();
      }
    });
    const nextDown = (count: number) =>
      new Promise<void>((resolve) => {
        wakeDown = () => {
          if (downs >= count) resolve();
        };
        wakeDown();
      });
    try {
      await publisher.start();
      await nextDown(1);
      expect(states).toEqual(['connecting', 'disconnected']);
      for (const [attempt, delayMs] of [
        [2, 1000],
        [3, 2000],
        [4, 4000],
        [5, 8000],
        [6, 8000],
      ] as const) {
        expect(clock.pending).toBe(1); // the reconnect timer
        clock.advance(delayMs - 1);
        expect(states.filter((s) => s === 'connecting')).toHaveLength(attempt - 1);
        clock.advance(1);
        expect(states.filter((s) => s === 'connecting')).toHaveLength(attempt);
        await nextDown(attempt);
      }
    } finally {
      await publisher.stop();
      await queue.close();
    }
    expect(clock.pending).toBe(0);
    expect(states.at(-1)).toBe('stopped');
  });
});
