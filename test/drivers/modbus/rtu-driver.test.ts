/**
 * Modbus RTU on a real (virtual) serial line: a socat pty pair with the RTU slave simulator on the far
 * end, several unit ids on one line, every RTU fault of issue 4, the circuit breaker, the line's
 * capacity, and an unplugged adapter; plus RTU over TCP (serial servers).
 */
import { describe, expect, it } from 'vitest';
import { ModbusBusRegistry } from '../../../drivers/modbus/bus-registry.ts';
import type { ModbusDeviceDriver } from '../../../drivers/modbus/device-driver.ts';
import {
  createModbusRtuDriver,
  type ModbusRtuDriverOptions,
  type RtuLine,
} from '../../../drivers/modbus/rtu-driver.ts';
import type { ReadBlock } from '../../../mappings/modbus/read-plan.ts';
import { RtuSlaveSimulator } from '../../../simulators/modbus/rtu-simulator.ts';
import {
  allGood,
  capturingLogger,
  failureOf,
  type LogLine,
  type Recorder,
  recorder,
  registersOf,
  sleep,
  useHarness,
} from './harness.ts';
import { type PtyPair, ptyPair } from './pty-pair.ts';

const { cleanups } = useHarness();

interface Line {
  readonly pty: PtyPair;
  readonly sim: RtuSlaveSimulator;
  readonly buses: ModbusBusRegistry;
  readonly lines: LogLine[];
  readonly log: ReturnType<typeof capturingLogger>['log'];
  serial(): RtuLine;
}

async function serialLine(unitIds: number[]): Promise<Line> {
  const pty = await ptyPair();
  cleanups.push(() => pty.close());
  const sim = new RtuSlaveSimulator(unitIds);
  await sim.openSerial(pty.devices);
  cleanups.push(() => sim.close());
  const { log, lines } = capturingLogger();
  return {
    pty,
    sim,
    buses: new ModbusBusRegistry(),
    log,
    lines,
    serial: () => ({
      kind: 'serial',
      path: pty.gateway,
      baudRate: 115_200,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
    }),
  };
}

type Started = Recorder & { driver: ModbusDeviceDriver };

function rtuDriver(
  line: { buses: ModbusBusRegistry; log: Line['log'] },
  options: Partial<ModbusRtuDriverOptions> & { line: RtuLine; unitId: number; blocks: ReadBlock[] },
): Started {
  const rec = recorder();
  const { blocks, ...rest } = options;
  const device = options.device ?? `unit-${options.unitId}`;
  const driver = createModbusRtuDriver(
    {
      device,
      timeoutMs: 100,
      pollIntervalMs: 20,
      plan: { blocks },
      // Each device logs through its own logger, as under the gateway (its `device` field).
      log: line.log.child({ device }),
      buses: line.buses,
      backoff: { initialMs: 20, maxMs: 50 },
      ...rest,
    },
    rec.events,
  );
  cleanups.push(() => driver.stop());
  void driver.start();
  return { ...rec, driver };
}

const HOLDING: ReadBlock[] = [{ area: 'holding', start: 0, count: 2 }];

describe('Modbus RTU on a serial line', () => {
  it('polls several unit ids over one shared port, each with its own data', async () => {
    const line = await serialLine([1, 2, 7]);
    for (const id of [1, 2, 7]) line.sim.unit(id).holding.set([id, id * 100]);
    line.sim.unit(7).coils.set([1, 0, 1], 5);
    const drivers = [1, 2, 7].map((unitId) =>
      rtuDriver(line, {
        line: line.serial(),
        unitId,
        blocks: [...HOLDING, { area: 'coil', start: 5, count: 3 }],
      }),
    );
    for (const [i, id] of [1, 2, 7].entries()) {
      const reading = await drivers[i]!.until(allGood);
      expect(registersOf(reading.results[0])).toEqual([id, id * 100]);
    }
    const seven = await drivers[2]!.until(allGood);
    expect(seven.results[1]).toEqual({ ok: true, bits: new Uint8Array([1, 0, 1]) });
    expect(line.buses.size).toBe(1);
    expect(drivers[0]!.states.map(([s]) => s)).toEqual(['connecting', 'connected']);
  });

  it('refuses a second device on the same port with other line settings, naming both', async () => {
    const line = await serialLine([1]);
    rtuDriver(line, { device: 'first', line: line.serial(), unitId: 1, blocks: HOLDING });
    const other = createModbusRtuDriver(
      {
        device: 'second',
        line: { ...line.serial(), kind: 'serial', baudRate: 9600 } as RtuLine,
        unitId: 2,
        timeoutMs: 100,
        pollIntervalMs: 20,
        plan: { blocks: HOLDING },
        log: line.log,
        buses: line.buses,
      },
      recorder().events,
    );
    await expect(other.start()).rejects.toThrow(
      /device "second": serial .* is already used by device "first" with 115200 8E1.*asks for 9600 8E1/,
    );
  });

  it.each([
    ['bad-crc', 'protocol', 'bad CRC'],
    ['wrong-unit', 'protocol', 'reply from unit 4, expected 3'],
    ['wrong-function', 'protocol', 'function code 4, expected 3'],
    ['garbage', 'protocol', 'reply from unit 255, expected 3'],
    ['truncated', 'timeout', 'timeout after 60 ms (incomplete reply: 4 bytes)'],
  ] as const)(
    'reports a %s reply as %s, keeps the other unit good, and recovers',
    async (mode, kind, text) => {
      const line = await serialLine([3, 5]);
      line.sim.unit(3).holding.set([33, 34]);
      line.sim.unit(5).holding.set([55, 56]);
      const faulty = rtuDriver(line, { line: line.serial(), unitId: 3, timeoutMs: 60, blocks: HOLDING });
      const healthy = rtuDriver(line, { line: line.serial(), unitId: 5, timeoutMs: 60, blocks: HOLDING });
      await faulty.until(allGood);
      await healthy.until(allGood);
      // Only unit 3's replies are corrupted: switch the mode around unit 3's requests only.
      const sim = line.sim;
      const original = sim.units.get(5)!;
      sim.faults.reply = mode;
      sim.units.delete(5);
      const failed = await faulty.until((r) => !allGood(r));
      sim.faults.reply = 'normal';
      sim.units.set(5, original);
      expect(failureOf(failed.results[0])).toEqual({
        kind,
        message:
          kind === 'timeout' ? `${text} reading holding 0..1` : `bad reply reading holding 0..1: ${text}`,
      });
      expect(registersOf((await faulty.until(allGood)).results[0])).toEqual([33, 34]);
      expect(registersOf((await healthy.until(allGood)).results[0])).toEqual([55, 56]);
      for (const reading of healthy.readings.filter(allGood))
        expect(registersOf(reading.results[0])).toEqual([55, 56]);
    },
  );

  it.each([1, 2, 3, 4, 6, 10, 11])('keeps exception %i with its code on the affected block', async (code) => {
    const line = await serialLine([1]);
    line.sim.unit(1).holding.set([8, 9]);
    line.sim.unit(1).rules = [{ area: 'input', start: 4, count: 1, code }];
    const rec = rtuDriver(line, {
      line: line.serial(),
      unitId: 1,
      blocks: [{ area: 'input', start: 4, count: 1 }, ...HOLDING],
    });
    const reading = await rec.until((r) => r.results[1]?.ok === true);
    expect(failureOf(reading.results[0])).toMatchObject({ kind: 'exception', exception: code });
    expect(registersOf(reading.results[1])).toEqual([8, 9]);
  });

  it('never assigns a late reply to a later request', async () => {
    // RTU has no transaction id: a late reply is kept out by the quarantine after the timeout
    // (lateReplyGuardMs). Replies later than timeout + guard are beyond what RTU can tell apart
    // (docs/modbus-rtu.md); the margin here (45 ms vs 150 ms) keeps a loaded CI machine inside it.
    const line = await serialLine([1, 2]);
    line.sim.unit(1).holding.set([1, 1]);
    line.sim.unit(2).holding.set([2, 2]);
    line.sim.faults.late = { every: 6, delayMs: 45, value: 0xbeef };
    const options = {
      line: line.serial(),
      timeoutMs: 30,
      lateReplyGuardMs: 120,
      pollIntervalMs: 5,
      breaker: { threshold: 1000 },
      blocks: HOLDING,
    };
    const one = rtuDriver(line, { ...options, unitId: 1 });
    const two = rtuDriver(line, { ...options, unitId: 2 });
    while (line.sim.requests < 100) await sleep(20);
    const good = [...one.readings, ...two.readings].filter(allGood);
    expect(good.length).toBeGreaterThan(50);
    for (const reading of one.readings.filter(allGood))
      expect(registersOf(reading.results[0])).toEqual([1, 1]);
    for (const reading of two.readings.filter(allGood))
      expect(registersOf(reading.results[0])).toEqual([2, 2]);
    expect([...one.readings, ...two.readings].filter((r) => !allGood(r)).length).toBeGreaterThanOrEqual(10);
    expect(one.driver.stats().staleReplies).toBeGreaterThan(0);
  });

  it('backs off a silent unit (circuit breaker) so the healthy units keep their poll rate, and resumes it', async () => {
    const line = await serialLine([1, 2, 9]);
    line.sim.faults.silentUnits.add(9);
    line.sim.unit(9).holding.set([99, 99]);
    const options = { line: line.serial(), timeoutMs: 200, pollIntervalMs: 100, blocks: HOLDING };
    const a = rtuDriver(line, { ...options, unitId: 1 });
    const b = rtuDriver(line, { ...options, unitId: 2 });
    const dead = rtuDriver(line, {
      ...options,
      timeoutMs: 60,
      unitId: 9,
      breaker: { threshold: 3, probe: { initialMs: 400, maxMs: 400 } },
    });
    await dead.until(() => dead.driver.stats().circuitOpen);
    const start = [a.readings.length, b.readings.length];
    const deadStart = dead.readings.length;
    await sleep(1500);
    for (const [i, rec] of [a, b].entries()) {
      const polls = rec.readings.length - start[i]!;
      // 15 slots in the window: ±10%, plus one for where the window cuts the grid.
      expect(polls).toBeGreaterThanOrEqual(13);
      expect(polls).toBeLessThanOrEqual(17);
      expect(
        rec.readings
          .slice(start[i])
          .filter((r) => !allGood(r))
          .map((r) => r.results[0]),
      ).toEqual([]);
    }
    // While the circuit is open each poll slot reports "not polled" without touching the line, except the
    // periodic probes, which are real requests and time out. Which of the two comes last depends on where
    // the window ends, so check every reading of the window.
    const deadWindow = dead.readings.slice(deadStart).map((r) => failureOf(r.results[0]));
    const notPolled = deadWindow.filter((f) => f.message.startsWith('not polled'));
    expect(notPolled.length).toBeGreaterThan(0);
    for (const failure of notPolled) {
      expect(failure.kind).toBe('timeout');
      expect(failure.message).toMatch(
        /^not polled: unit 9 stopped answering \(timeout after 60 ms reading holding 0\.\.1\)/,
      );
    }
    for (const failure of deadWindow.filter((f) => !f.message.startsWith('not polled'))) {
      expect(failure.message).toBe('timeout after 60 ms reading holding 0..1');
    }
    // Probes only: far fewer requests than its 15 poll slots.
    const probes = line.sim.requestsByUnit.get(9)!;
    line.sim.faults.silentUnits.delete(9);
    expect(registersOf((await dead.until(allGood)).results[0])).toEqual([99, 99]);
    expect(probes).toBeLessThanOrEqual(10);
    const changes = line.lines.filter((l) => /stopped answering|answers again/.test(l.msg)).map((l) => l.msg);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatch(/unit-9: unit 9 stopped answering/);
    expect(changes[1]).toMatch(/unit-9: unit 9 answers again/);
  });

  it('skips polls that do not fit in the line capacity, fairly, and says so once', async () => {
    const line = await serialLine([1, 2, 3]);
    line.sim.faults.delayMs = 8;
    const recs = [1, 2, 3].map((unitId) =>
      rtuDriver(line, { line: line.serial(), unitId, pollIntervalMs: 15, blocks: HOLDING }),
    );
    await sleep(1000);
    const counts = recs.map((r) => r.readings.length);
    const mean = counts.reduce((x, y) => x + y, 0) / counts.length;
    for (const count of counts) expect(Math.abs(count - mean) / mean).toBeLessThan(0.2);
    const skipped = recs.map((r) => r.driver.stats().skippedPolls);
    for (const s of skipped) expect(s).toBeGreaterThan(0);
    // Demand 200 polls/s, capacity ~100/s: polls are skipped, not queued (the counts stay bounded).
    expect(mean).toBeLessThan(80);
    // Once per line, said by every device on it under its own name (line-users.ts).
    const warnings = line.lines.filter((l) => l.msg.includes("do not fit in the line's capacity"));
    expect(warnings.map((l) => (l as { device?: string }).device).sort()).toEqual([
      'unit-1',
      'unit-2',
      'unit-3',
    ]);
  });

  it('reconnects by itself when the adapter is unplugged and comes back, other lines unaffected', async () => {
    const line = await serialLine([1]);
    line.sim.unit(1).holding.set([4, 2]);
    const other = await serialLine([1]);
    other.sim.unit(1).holding.set([7, 7]);
    const rec = rtuDriver(line, { line: line.serial(), unitId: 1, blocks: HOLDING });
    const steady = rtuDriver(other, { line: other.serial(), unitId: 1, pollIntervalMs: 50, blocks: HOLDING });
    await rec.until(allGood);
    await steady.until(allGood);
    const steadyStart = steady.readings.length;

    await line.sim.close();
    await line.pty.unplug();
    const down = await rec.until((r) => !allGood(r));
    expect(failureOf(down.results[0]).kind).toBe('disconnected');
    expect(failureOf(down.results[0]).message).toMatch(/serial port .* disconnected|cannot open/);
    await sleep(300);

    await line.pty.plugIn();
    const sim = new RtuSlaveSimulator([1]);
    sim.unit(1).holding.set([4, 3]);
    await sim.openSerial(line.pty.devices);
    cleanups.push(() => sim.close());
    expect(registersOf((await rec.until(allGood)).results[0])).toEqual([4, 3]);
    expect(rec.states.map(([s]) => s)).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
    expect(rec.driver.stats().connects).toBe(2);
    expect(steady.readings.slice(steadyStart).every(allGood)).toBe(true);
    expect(steady.readings.length - steadyStart).toBeGreaterThanOrEqual(5);
  });
});

describe('Modbus RTU over TCP (serial servers)', () => {
  it('polls several unit ids through one connection with RTU framing', async () => {
    const sim = new RtuSlaveSimulator([1, 2]);
    sim.unit(1).input.set([10, 11], 3);
    sim.unit(2).input.set([20, 21], 3);
    const { port } = await sim.listenTcp(0);
    cleanups.push(() => sim.close());
    const { log } = capturingLogger();
    const context = { buses: new ModbusBusRegistry(), log };
    const tcpLine: RtuLine = { kind: 'tcp', host: '127.0.0.1', port };
    const blocks: ReadBlock[] = [{ area: 'input', start: 3, count: 2 }];
    const one = rtuDriver(context, { line: tcpLine, unitId: 1, blocks });
    const two = rtuDriver(context, { line: tcpLine, unitId: 2, blocks });
    expect(registersOf((await one.until(allGood)).results[0])).toEqual([10, 11]);
    expect(registersOf((await two.until(allGood)).results[0])).toEqual([20, 21]);
    expect(one.driver.stats().connects).toBe(1);
    expect(context.buses.size).toBe(1);
  });
});
