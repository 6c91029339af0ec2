import { createHook } from 'node:async_hooks';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ConnectionState } from '../../../core/driver.ts';
import {
  createModbusTcpDriver,
  type ModbusTcpDriver,
  type ModbusTcpDriverOptions,
} from '../../../drivers/modbus/tcp-driver.ts';
import type { BlockResult, ModbusReading, ReadBlock } from '../../../mappings/modbus/read-plan.ts';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';
import {
  allGood,
  capturingLogger,
  failureOf,
  type LogLine,
  recorder,
  registersOf,
  useHarness,
} from './harness.ts';

const { cleanups } = useHarness();

async function startSimulator(port = 0): Promise<{ sim: ModbusTcpSimulator; port: number }> {
  const sim = new ModbusTcpSimulator({ unitIds: [1] });
  const listening = await sim.listen(port);
  cleanups.push(() => sim.close());
  return { sim, port: listening.port };
}

/** A port nothing listens on (found by listening on port 0 and closing again). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

interface Recorded {
  driver: ModbusTcpDriver;
  readings: ModbusReading[];
  states: [ConnectionState, string | undefined][];
  logs: LogLine[];
  /** Resolves with the first reading (from now on) that satisfies `test`. */
  until(test: (reading: ModbusReading) => boolean): Promise<ModbusReading>;
}

function startDriver(
  options: Partial<ModbusTcpDriverOptions> & { port: number; blocks: ReadBlock[] },
): Recorded {
  const record = recorder();
  const { log, lines } = capturingLogger();
  const { blocks, ...rest } = options;
  const driver = createModbusTcpDriver(
    {
      device: 'plc-test',
      host: '127.0.0.1',
      unitId: 1,
      timeoutMs: 500,
      pollIntervalMs: 20,
      plan: { blocks },
      log,
      backoff: { initialMs: 10, maxMs: 40 },
      ...rest,
    },
    record.events,
  );
  cleanups.push(() => driver.stop());
  void driver.start();
  return { driver, readings: record.readings, states: record.states, logs: lines, until: record.until };
}

function bitsOf(result: BlockResult | undefined): number[] {
  if (result === undefined || !result.ok || !('bits' in result)) throw new Error('expected bits');
  return Array.from(result.bits);
}

describe('Modbus TCP driver reads', () => {
  it('reads all four areas across several blocks, index-aligned with the plan', async () => {
    const { sim, port } = await startSimulator();
    const unit = sim.unit(1);
    unit.coils.set([1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1], 10);
    unit.discrete.set([0, 1, 1], 2000);
    unit.holding.set([1, 0x8000, 65_535, 42], 0);
    unit.holding.set(
      Array.from({ length: 125 }, (_, i) => i * 3),
      1000,
    );
    unit.input.set([7, 8], 30_000);
    const recorded = startDriver({
      port,
      blocks: [
        { area: 'holding', start: 0, count: 4 },
        { area: 'coil', start: 10, count: 11 },
        { area: 'holding', start: 1000, count: 125 },
        { area: 'discrete', start: 2000, count: 3 },
        { area: 'input', start: 30_000, count: 2 },
      ],
    });
    const reading = await recorded.until(allGood);
    expect(registersOf(reading.results[0])).toEqual([1, 0x8000, 65_535, 42]);
    expect(bitsOf(reading.results[1])).toEqual([1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1]);
    expect(registersOf(reading.results[2])).toEqual(Array.from({ length: 125 }, (_, i) => i * 3));
    expect(bitsOf(reading.results[3])).toEqual([0, 1, 1]);
    expect(registersOf(reading.results[4])).toEqual([7, 8]);
    expect(reading.results).toHaveLength(5);
    expect(recorded.states).toEqual([
      ['connecting', undefined],
      ['connected', undefined],
    ]);
  });

  it('reads the unit it is configured for', async () => {
    const { sim, port } = await startSimulator();
    sim.unit(1).holding[5] = 1;
    sim.unit(17).holding[5] = 17;
    const recorded = startDriver({ port, unitId: 17, blocks: [{ area: 'holding', start: 5, count: 1 }] });
    expect(registersOf((await recorded.until(allGood)).results[0])).toEqual([17]);
  });

  it('reports a Modbus exception for its block only and keeps the connection', async () => {
    const { sim, port } = await startSimulator();
    const unit = sim.unit(1);
    unit.holding.set([11, 12], 0);
    unit.input[0] = 99;
    unit.rules = [{ area: 'holding', start: 100, count: 10, code: 2 }];
    const recorded = startDriver({
      port,
      blocks: [
        { area: 'holding', start: 0, count: 2 },
        { area: 'holding', start: 100, count: 10 },
        { area: 'input', start: 0, count: 1 },
      ],
    });
    await recorded.until(() => recorded.readings.length >= 5);
    for (const reading of recorded.readings.slice(0, 5)) {
      expect(registersOf(reading.results[0])).toEqual([11, 12]);
      expect(failureOf(reading.results[1])).toEqual({
        kind: 'exception',
        exception: 2,
        message: 'Modbus exception 02 (illegal data address) reading holding 100..109',
      });
      expect(registersOf(reading.results[2])).toEqual([99]);
    }
    expect(sim.connections).toBe(1);
    expect(recorded.states.map(([state]) => state)).toEqual(['connecting', 'connected']);
  });
});

describe('Modbus TCP driver schedule', () => {
  it('polls at once, then on its phase of the interval (spread devices do not poll together)', async () => {
    const { port } = await startSimulator();
    const blocks: ReadBlock[] = [{ area: 'holding', start: 0, count: 1 }];
    const aligned = startDriver({ port, blocks, pollIntervalMs: 200 });
    const shifted = startDriver({ port, blocks, pollIntervalMs: 200, pollPhaseMs: 100 });
    await Promise.all([
      aligned.until(() => aligned.readings.length >= 4),
      shifted.until(() => shifted.readings.length >= 4),
    ]);
    const a = aligned.readings.map((r) => r.ts);
    const b = shifted.readings.map((r) => r.ts);
    // Both poll at start; from then on the shifted one runs half an interval after the aligned one.
    expect(Math.abs(b[0]! - a[0]!)).toBeLessThan(50);
    expect(b[1]! - b[0]!).toBeGreaterThanOrEqual(80);
    expect(b[1]! - b[0]!).toBeLessThan(160);
    for (let k = 1; k < 4; k++) {
      const offset = (((b[k]! - a[0]!) % 200) + 200) % 200;
      expect(offset).toBeGreaterThan(60);
      expect(offset).toBeLessThan(140);
    }
  });
});

describe('Modbus TCP driver connection handling', () => {
  it('reports a down device as disconnected on every poll, then reconnects when it comes up', async () => {
    const port = await freePort();
    const recorded = startDriver({
      port,
      blocks: [
        { area: 'holding', start: 0, count: 2 },
        { area: 'coil', start: 0, count: 1 },
      ],
    });
    await recorded.until(() => recorded.readings.length >= 5);
    for (const reading of recorded.readings.slice(0, 5)) {
      for (const result of reading.results) {
        expect(failureOf(result)).toEqual({
          kind: 'disconnected',
          message: `connect ECONNREFUSED 127.0.0.1:${port}`,
        });
      }
    }
    // Several retries have failed by now, yet the state changed (and was logged) only once.
    expect(recorded.states).toEqual([
      ['connecting', undefined],
      ['disconnected', `connect ECONNREFUSED 127.0.0.1:${port}`],
    ]);
    expect(recorded.logs.filter((line) => line.msg.startsWith('disconnected'))).toHaveLength(1);

    const { sim } = await startSimulator(port);
    sim.unit(1).holding.set([3, 4]);
    const reading = await recorded.until(allGood);
    expect(registersOf(reading.results[0])).toEqual([3, 4]);
    expect(recorded.states.map(([state]) => state)).toEqual(['connecting', 'disconnected', 'connected']);
  });

  it('marks the poll disconnected when the device goes away mid-request, and reconnects', async () => {
    const { sim, port } = await startSimulator();
    sim.unit(1).holding[0] = 5;
    const recorded = startDriver({
      port,
      backoff: { initialMs: 100, jitter: 0 },
      blocks: [{ area: 'holding', start: 0, count: 1 }],
    });
    await recorded.until(allGood);
    // A request in flight when the device goes: its poll must report the outage.
    sim.faults.delayMs = 200;
    const requests = sim.requests;
    while (sim.requests === requests) await new Promise((resolve) => setTimeout(resolve, 2));
    await sim.close();
    const down = await recorded.until((reading) => !allGood(reading));
    expect(failureOf(down.results[0])).toEqual({
      kind: 'disconnected',
      message: `connection closed by 127.0.0.1:${port}; reconnect failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    const { sim: again } = await startSimulator(port);
    again.unit(1).holding[0] = 9;
    expect(registersOf((await recorded.until(allGood)).results[0])).toEqual([9]);
    expect(recorded.states.map(([state]) => state)).toEqual([
      'connecting',
      'connected',
      'disconnected',
      'connected',
    ]);
  });

  it('reconnects at once and quietly when an idle connection is closed by the device', async () => {
    const { sim, port } = await startSimulator();
    sim.unit(1).holding[0] = 6;
    const recorded = startDriver({ port, blocks: [{ area: 'holding', start: 0, count: 1 }] });
    await recorded.until(allGood);
    const before = recorded.readings.length;
    sim.dropConnections();
    await recorded.until(() => recorded.readings.length >= before + 5);
    expect(recorded.readings.slice(before).every(allGood)).toBe(true);
    expect(recorded.states.map(([state]) => state)).toEqual(['connecting', 'connected']);
    expect(sim.connections).toBe(2);
  });

  it('keeps polling through close-after-each-request devices by reconnecting', async () => {
    const { sim, port } = await startSimulator();
    sim.unit(1).input[9] = 123;
    sim.faults.closeAfterEachRequest = true;
    const recorded = startDriver({ port, blocks: [{ area: 'input', start: 9, count: 1 }] });
    const good: ModbusReading[] = [];
    await recorded.until((reading) => {
      if (allGood(reading)) good.push(reading);
      return good.length >= 3;
    });
    for (const reading of good) expect(registersOf(reading.results[0])).toEqual([123]);
    expect(sim.connections).toBeGreaterThanOrEqual(3);
    expect(recorded.driver.stats().connects).toBeGreaterThanOrEqual(3);
  });

  it('times out on a silent device, drops the connection, and never holds up another device', async () => {
    const silent = await startSimulator();
    silent.sim.faults.neverAnswer = true;
    const healthy = await startSimulator();
    healthy.sim.unit(1).holding[0] = 1;
    const blocks: ReadBlock[] = [
      { area: 'holding', start: 0, count: 10 },
      { area: 'input', start: 0, count: 1 },
    ];
    const slow = startDriver({ port: silent.port, timeoutMs: 150, pollIntervalMs: 50, blocks });
    const fast = startDriver({ port: healthy.port, timeoutMs: 150, pollIntervalMs: 10, blocks });

    const timedOut = await slow.until((reading) => !reading.results[0]!.ok);
    expect(failureOf(timedOut.results[0])).toEqual({
      kind: 'timeout',
      message: 'timeout after 150 ms reading holding 0..9',
    });
    // The rest of that poll is not attempted on a connection that may still deliver the late reply.
    expect(failureOf(timedOut.results[1])).toEqual({
      kind: 'disconnected',
      message: 'connection dropped after timeout after 150 ms reading holding 0..9',
    });
    await slow.until((reading) => failureOf(reading.results[0]).kind === 'timeout');
    expect(silent.sim.connections).toBeGreaterThanOrEqual(2);
    expect(slow.driver.stats().overruns).toBeGreaterThanOrEqual(1);

    // Two timeouts took ≥ 300 ms; a 10 ms poller unaffected by them has done far more than 10 polls.
    expect(fast.readings.filter(allGood).length).toBeGreaterThan(10);
    expect(fast.readings.every(allGood)).toBe(true);
  });

  it.each([
    ['wrong-transaction', 'timeout'],
    ['truncated', 'timeout'],
    ['garbage', 'protocol'],
    ['wrong-unit', 'protocol'],
  ] as const)('treats a %s reply as a %s and recovers on a new connection', async (mode, kind) => {
    const { sim, port } = await startSimulator();
    sim.unit(1).holding[0] = 8;
    sim.faults.reply = mode;
    const recorded = startDriver({ port, timeoutMs: 100, blocks: [{ area: 'holding', start: 0, count: 2 }] });
    const failed = await recorded.until((reading) => !allGood(reading));
    expect(failureOf(failed.results[0]).kind).toBe(kind);
    expect(failureOf(failed.results[0]).message).toMatch(/reading holding 0\.\.1/);
    sim.faults.reply = 'normal';
    expect(registersOf((await recorded.until(allGood)).results[0])).toEqual([8, 0]);
    expect(sim.connections).toBeGreaterThanOrEqual(2);
  });
});

describe('Modbus TCP driver stop', () => {
  /**
   * Records the timers, sockets and connects created from now on that are still alive (async_hooks
   * emits `destroy` when a timer fires or is cleared and when a socket handle is closed).
   */
  function trackHandles(): { alive(): Promise<string[]>; dispose(): void } {
    const live = new Map<number, string>();
    const hook = createHook({
      init: (id, type) => {
        if (type === 'Timeout' || type === 'TCPWRAP' || type === 'TCPCONNECTWRAP') live.set(id, type);
      },
      destroy: (id) => live.delete(id),
    });
    hook.enable();
    return {
      alive: async () => {
        // Let closing handles finish and leave the timer phase before looking.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setImmediate(resolve));
        return [...live.values()];
      },
      dispose: () => hook.disable(),
    };
  }

  it('leaves no sockets or timers and emits nothing afterwards, even with a request in flight', async () => {
    const { sim, port } = await startSimulator();
    const tracker = trackHandles();
    cleanups.push(async () => tracker.dispose());
    const recorded = startDriver({
      port,
      timeoutMs: 10_000,
      blocks: [{ area: 'holding', start: 0, count: 1 }],
    });
    await recorded.until(allGood);
    sim.faults.neverAnswer = true;
    const requests = sim.requests;
    while (sim.requests === requests) await new Promise((resolve) => setTimeout(resolve, 5));
    await recorded.driver.stop();
    const emitted = recorded.readings.length + recorded.states.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(recorded.readings.length + recorded.states.length).toBe(emitted);
    expect(await tracker.alive()).toEqual([]);
  });

  it('stops cleanly while the device is down and a reconnect is pending', async () => {
    const port = await freePort();
    const tracker = trackHandles();
    cleanups.push(async () => tracker.dispose());
    const recorded = startDriver({
      port,
      backoff: { initialMs: 5000 },
      blocks: [{ area: 'holding', start: 0, count: 1 }],
    });
    await recorded.until(() => recorded.states.length >= 2);
    await recorded.driver.stop();
    expect(await tracker.alive()).toEqual([]);
  });
});
