/**
 * Modbus TCP against the field faults of issue 4: every exception code, late replies (also past the
 * 256-request wrap of modbus-serial's transaction ids), one-request-per-connection devices, silent
 * devices; healthy devices keep their poll rate; memory stays flat over thousands of faulty requests.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ModbusBus } from '../../../drivers/modbus/bus.ts';
import { createModbusDeviceDriver } from '../../../drivers/modbus/device-driver.ts';
import { createModbusTcpDriver, type ModbusTcpDriverOptions } from '../../../drivers/modbus/tcp-driver.ts';
import { tcpLinkOpener } from '../../../drivers/modbus/tcp-link.ts';
import type { ReadBlock } from '../../../mappings/modbus/read-plan.ts';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';
import {
  allGood,
  capturingLogger,
  failureOf,
  type Recorder,
  recorder,
  registersOf,
  sleep,
  useHarness,
} from './harness.ts';

const { cleanups } = useHarness();

async function simulator(): Promise<{ sim: ModbusTcpSimulator; port: number }> {
  const sim = new ModbusTcpSimulator({ unitIds: [1] });
  const { port } = await sim.listen(0);
  cleanups.push(() => sim.close());
  return { sim, port };
}

function tcpDriver(
  options: Partial<ModbusTcpDriverOptions> & { port: number; blocks: ReadBlock[] },
): Recorder & {
  driver: ReturnType<typeof createModbusTcpDriver>;
} {
  const rec = recorder();
  const { blocks, ...rest } = options;
  const driver = createModbusTcpDriver(
    {
      device: 'plc',
      host: '127.0.0.1',
      unitId: 1,
      timeoutMs: 100,
      pollIntervalMs: 20,
      plan: { blocks },
      log: capturingLogger().log,
      backoff: { initialMs: 5, maxMs: 20 },
      ...rest,
    },
    rec.events,
  );
  cleanups.push(() => driver.stop());
  void driver.start();
  return { ...rec, driver };
}

const LATE = 0xbeef;

describe('Modbus TCP fault handling', () => {
  it.each([
    [0x01, 'Modbus exception 01 (illegal function)'],
    [0x02, 'Modbus exception 02 (illegal data address)'],
    [0x03, 'Modbus exception 03 (illegal data value)'],
    [0x04, 'Modbus exception 04 (server device failure)'],
    [0x06, 'Modbus exception 06 (server device busy)'],
    [0x0a, 'Modbus exception 0A (gateway path unavailable)'],
    [0x0b, 'Modbus exception 0B (gateway target device failed to respond)'],
  ])('keeps exception %i on its block only, with the code, on one connection', async (code, text) => {
    const { sim, port } = await simulator();
    sim.unit(1).holding[0] = 21;
    sim.unit(1).rules = [{ area: 'input', start: 50, count: 1, code }];
    const rec = tcpDriver({
      port,
      blocks: [
        { area: 'input', start: 50, count: 1 },
        { area: 'holding', start: 0, count: 1 },
      ],
    });
    await rec.until(() => rec.readings.length >= 4);
    for (const reading of rec.readings.slice(0, 4)) {
      expect(failureOf(reading.results[0])).toEqual({
        kind: 'exception',
        exception: code,
        message: `${text} reading input 50..50`,
      });
      expect(registersOf(reading.results[1])).toEqual([21]);
    }
    expect(sim.connections).toBe(1);
    // Exceptions are answers: they never open the circuit breaker.
    expect(rec.driver.stats().circuitOpens).toBe(0);
  });

  it('reads every block of every poll from a device that closes the connection after each request', async () => {
    const { sim, port } = await simulator();
    sim.unit(1).holding.set([1, 2, 3]);
    sim.unit(1).input[7] = 77;
    sim.unit(1).coils[3] = 1;
    sim.faults.closeAfterEachRequest = true;
    const rec = tcpDriver({
      port,
      blocks: [
        { area: 'holding', start: 0, count: 3 },
        { area: 'input', start: 7, count: 1 },
        { area: 'coil', start: 3, count: 1 },
      ],
    });
    await rec.until(() => rec.readings.length >= 5);
    for (const reading of rec.readings.slice(0, 5)) {
      expect(allGood(reading)).toBe(true);
      expect(registersOf(reading.results[1])).toEqual([77]);
    }
    expect(sim.connections).toBeGreaterThanOrEqual(15);
    expect(rec.states.map(([state]) => state)).toEqual(['connecting', 'connected']);
  });

  it('never assigns a late reply to another request, across many transaction-id wraps of 256', async () => {
    // A bus that keeps its connection after timeouts, so the late replies really arrive on the socket
    // that carries the next requests: only transaction-id matching stands between them and the data.
    const { sim, port } = await simulator();
    sim.unit(1).holding.set([10, 11, 12, 13]);
    sim.faults.late = { every: 7, delayMs: 45, value: LATE };
    const { log } = capturingLogger();
    const bus = new ModbusBus({
      name: 'keep-connection',
      open: tcpLinkOpener({ host: '127.0.0.1', port, connectTimeoutMs: 500 }),
      session: { framing: 'tcp' },
      dropOnFailure: false,
      log,
    });
    const rec = recorder();
    const driver = createModbusDeviceDriver(
      {
        device: 'plc',
        unitId: 1,
        timeoutMs: 30,
        pollIntervalMs: 1,
        plan: { blocks: [{ area: 'holding', start: 0, count: 4 }] },
        breaker: { threshold: 1000 },
        log,
        lease: () => ({ bus, release: () => bus.stop() }),
      },
      rec.events,
    );
    cleanups.push(() => driver.stop());
    await driver.start();
    await rec.until(() => sim.requests >= 700);
    const good = rec.readings.filter(allGood);
    const timeouts = rec.readings.filter((r) => !allGood(r));
    expect(good.length).toBeGreaterThan(500);
    expect(timeouts.length).toBeGreaterThanOrEqual(80);
    for (const reading of good) expect(registersOf(reading.results[0])).toEqual([10, 11, 12, 13]);
    for (const reading of timeouts) expect(failureOf(reading.results[0]).kind).toBe('timeout');
    expect(sim.connections).toBe(1);
    expect(driver.stats().staleReplies).toBeGreaterThanOrEqual(80);
  });

  it('never assigns a late reply with the default policy either (the connection is replaced)', async () => {
    const { sim, port } = await simulator();
    sim.unit(1).holding.set([5, 6]);
    sim.faults.late = { every: 5, delayMs: 40, value: LATE };
    const rec = tcpDriver({
      port,
      timeoutMs: 25,
      pollIntervalMs: 1,
      blocks: [{ area: 'holding', start: 0, count: 2 }],
    });
    await rec.until(() => sim.requests >= 300);
    const good = rec.readings.filter(allGood);
    expect(good.length).toBeGreaterThan(150);
    for (const reading of good) expect(registersOf(reading.results[0])).toEqual([5, 6]);
  });

  it('keeps a healthy device at its poll rate (±10%) while others time out, close, or send garbage', async () => {
    const healthy = await simulator();
    const silent = await simulator();
    silent.sim.faults.neverAnswer = true;
    const closing = await simulator();
    closing.sim.faults.closeAfterEachRequest = true;
    const garbage = await simulator();
    garbage.sim.faults.reply = 'garbage';
    const blocks: ReadBlock[] = [{ area: 'holding', start: 0, count: 10 }];
    const good = tcpDriver({ port: healthy.port, pollIntervalMs: 50, blocks });
    tcpDriver({ port: silent.port, timeoutMs: 80, pollIntervalMs: 50, blocks });
    tcpDriver({ port: closing.port, pollIntervalMs: 10, blocks });
    tcpDriver({ port: garbage.port, pollIntervalMs: 10, blocks });
    await good.until(allGood);
    const start = good.readings.length;
    await sleep(1000);
    const polls = good.readings.length - start;
    expect(polls).toBeGreaterThanOrEqual(18);
    expect(polls).toBeLessThanOrEqual(22);
    expect(good.readings.slice(start).every(allGood)).toBe(true);
  });

  it('does not grow memory over thousands of faulty requests', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { sim, port } = await simulator();
    sim.unit(1).rules = [{ area: 'holding', start: 100, count: 1, code: 4 }];
    const rec = tcpDriver({
      port,
      timeoutMs: 5,
      pollIntervalMs: 1,
      backoff: { initialMs: 1, maxMs: 2 },
      breaker: { threshold: 1_000_000 },
      blocks: [
        { area: 'holding', start: 100, count: 1 },
        { area: 'holding', start: 0, count: 2 },
      ],
    });
    const modes = ['garbage', 'wrong-unit', 'normal', 'wrong-transaction', 'truncated'] as const;
    const runFaults = async (requests: number) => {
      const target = sim.requests + requests;
      let i = 0;
      while (sim.requests < target) {
        sim.faults.reply = modes[i++ % modes.length]!;
        await sleep(15);
      }
    };
    await runFaults(500);
    rec.readings.length = 0;
    gc();
    const before = process.memoryUsage().heapUsed;
    await runFaults(4000);
    rec.readings.length = 0;
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  }, 40_000);
});
