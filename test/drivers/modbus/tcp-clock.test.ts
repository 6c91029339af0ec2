/**
 * The Modbus TCP driver's schedule on an injected ManualClock (issue 13): against our real simulator, the
 * polls happen at once and then exactly once per interval of *clock* time, at the device's phase, with
 * no wall-clock counting. A reconnect after the simulator goes away waits for the backoff on the clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { createModbusTcpDriver } from '../../../drivers/modbus/tcp-driver.ts';
import type { ReadBlock } from '../../../mappings/modbus/read-plan.ts';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';
import { capturingLogger, useHarness } from './harness.ts';

const { cleanups } = useHarness();
const BLOCKS: ReadBlock[] = [{ area: 'holding', start: 0, count: 1 }];

/** A driver on `clock`; records the clock's time at each reading and lets the test wait for the next one. */
function clockedDriver(clock: ManualClock, port: number, pollPhaseMs = 0) {
  const polledAt: number[] = [];
  const good: boolean[] = [];
  let next: (() => void) | undefined;
  const driver = createModbusTcpDriver(
    {
      device: 'plc-clock',
      host: '127.0.0.1',
      port,
      unitId: 1,
      timeoutMs: 2000,
      pollIntervalMs: 1000,
      pollPhaseMs,
      plan: { blocks: BLOCKS },
      log: capturingLogger().log,
      backoff: { initialMs: 500, maxMs: 500, jitter: 0 },
      clock,
    },
    {
      onReading: (reading) => {
        polledAt.push(clock.now());
        good.push(reading.results.every((r) => r.ok));
        next?.();
      },
      onConnectionState: () => {},
    },
  );
  cleanups.push(() => driver.stop());
  void driver.start();
  /** Resolves when the reading count reaches `count`. */
  const readings = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (polledAt.length >= count) resolve();
        else next = check;
      };
      check();
    });
  return { polledAt, good, readings };
}

async function simulator(): Promise<{ sim: ModbusTcpSimulator; port: number }> {
  const sim = new ModbusTcpSimulator({ unitIds: [1] });
  const { port } = await sim.listen(0);
  cleanups.push(() => sim.close());
  return { sim, port };
}

describe('Modbus TCP driver on an injected clock', () => {
  it('polls at once, then once per interval of clock time, each device at its phase', async () => {
    const { port } = await simulator();
    const clock = new ManualClock();
    const aligned = clockedDriver(clock, port);
    const shifted = clockedDriver(clock, port, 250);
    await Promise.all([aligned.readings(1), shifted.readings(1)]);
    // Quarter steps of clock time; after each step, wait for the poll that step makes due (if any).
    for (let t = 250; t <= 4000; t += 250) {
      clock.advance(250);
      if (t % 1000 === 0) await aligned.readings(1 + t / 1000);
      if (t % 1000 === 250) await shifted.readings(2 + Math.floor(t / 1000));
    }
    expect(aligned.polledAt).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(shifted.polledAt).toEqual([0, 250, 1250, 2250, 3250]);
    expect([...aligned.good, ...shifted.good].every(Boolean)).toBe(true);
  });

  it('keeps polling, marked bad, while the device is gone, and reads again after it is back', async () => {
    const first = await simulator();
    const clock = new ManualClock();
    const device = clockedDriver(clock, first.port);
    await device.readings(1);
    await first.sim.close();
    // Every interval still yields a reading: the poll fails fast (connection refused), on the clock's grid.
    for (let k = 1; k <= 3; k++) {
      clock.advance(1000);
      await device.readings(1 + k);
    }
    expect(device.polledAt).toEqual([0, 1000, 2000, 3000]);
    expect(device.good).toEqual([true, false, false, false]);
    const again = new ModbusTcpSimulator({ unitIds: [1] });
    await again.listen(first.port);
    cleanups.push(() => again.close());
    // The reconnect waits for the backoff (500 ms of clock time); the next poll reads good again.
    for (let k = 4; k <= 6 && device.good.at(-1) !== true; k++) {
      clock.advance(1000);
      await device.readings(1 + k);
    }
    expect(device.good.at(-1)).toBe(true);
    expect(device.polledAt.every((t) => t % 1000 === 0)).toBe(true);
  });
});
