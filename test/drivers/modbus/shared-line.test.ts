/**
 * A Modbus RTU line shared by several devices (issue 12, point 8), on a socat pty pair with the RTU
 * simulator and on an RTU-over-TCP simulator: line events are logged by the devices on the line under
 * their own names (not by the device that opened it, which a reload may have removed since), and line
 * settings the first device used to decide alone (late-reply guard, reconnect backoff, the inter-frame
 * delay of a serial server) are compared, so a device asking for other ones is refused naming both.
 */
import { describe, expect, it } from 'vitest';
import { ModbusBusRegistry } from '../../../drivers/modbus/bus-registry.ts';
import { LineUsers } from '../../../drivers/modbus/line-users.ts';
import {
  createModbusRtuDriver,
  type ModbusRtuDriverOptions,
  type RtuLine,
} from '../../../drivers/modbus/rtu-driver.ts';
import { RtuSlaveSimulator } from '../../../simulators/modbus/rtu-simulator.ts';
import { allGood, capturingLogger, recorder, useHarness } from './harness.ts';
import { ptyPair } from './pty-pair.ts';

const { cleanups } = useHarness();
const HOLDING = [{ area: 'holding' as const, start: 0, count: 2 }];

interface Shared {
  readonly buses: ModbusBusRegistry;
  readonly captured: ReturnType<typeof capturingLogger>;
}

function device(
  shared: Shared,
  options: Partial<ModbusRtuDriverOptions> & { device: string; line: RtuLine },
) {
  const rec = recorder();
  const driver = createModbusRtuDriver(
    {
      unitId: 1,
      timeoutMs: 100,
      pollIntervalMs: 20,
      plan: { blocks: HOLDING },
      log: shared.captured.log.child({ device: options.device }),
      buses: shared.buses,
      backoff: { initialMs: 20, maxMs: 50 },
      ...options,
    },
    rec.events,
  );
  cleanups.push(() => driver.stop());
  return { ...rec, driver };
}

async function serialLine(unitIds: number[]) {
  const pty = await ptyPair();
  cleanups.push(() => pty.close());
  const sim = new RtuSlaveSimulator(unitIds);
  await sim.openSerial(pty.devices);
  cleanups.push(() => sim.close());
  const line: RtuLine = {
    kind: 'serial',
    path: pty.gateway,
    baudRate: 115_200,
    dataBits: 8,
    parity: 'even',
    stopBits: 1,
  };
  return { pty, sim, line };
}

const deviceOf = (l: unknown) => (l as { device?: string }).device;

describe('a shared RTU line', () => {
  it('logs line events through the devices on it, not through a device that has left', async () => {
    const { pty, sim, line } = await serialLine([1, 2]);
    const shared: Shared = { buses: new ModbusBusRegistry(), captured: capturingLogger() };
    const opener = device(shared, { device: 'meter-1', line, unitId: 1 });
    const other = device(shared, { device: 'meter-2', line, unitId: 2 });
    await opener.driver.start();
    await other.driver.start();
    await opener.until(allGood);
    await other.until(allGood);

    // A reload removes the device that opened the line; the line stays for the other one.
    await opener.driver.stop();
    expect(shared.buses.size).toBe(1);
    await sim.close();
    await pty.unplug();
    await other.until((r) => !allGood(r));
    const disconnected = shared.captured.lines.filter((l) => l.msg.startsWith('disconnected from serial'));
    expect(disconnected.map(deviceOf)).toEqual(['meter-2']);
    // The reason depends on which the OS reports first (the port's error or its close): either is fine.
    expect(disconnected[0]!.msg).toMatch(
      /^disconnected from serial \S+: (serial port |connection closed by )/,
    );
  });

  it.each([
    {
      what: 'another late-reply guard',
      first: { lateReplyGuardMs: 200 },
      second: {},
      text: /with 115200 8E1, inter-frame 1\.75 ms, late-reply guard 200 ms.*reconnect backoff 20\.\.50 ms, this device asks for 115200 8E1, inter-frame 1\.75 ms, reconnect backoff 20\.\.50 ms;/,
    },
    {
      what: 'another reconnect backoff',
      first: {},
      second: { backoff: { initialMs: 500, maxMs: 30_000 } },
      text: /with .*reconnect backoff 20\.\.50 ms, this device asks for .*reconnect backoff 500\.\.30000 ms;/,
    },
  ])('refuses a second device on a serial line with $what, naming both', async ({ first, second, text }) => {
    const { line } = await serialLine([1, 2]);
    const shared: Shared = { buses: new ModbusBusRegistry(), captured: capturingLogger() };
    await device(shared, { device: 'meter-1', line, unitId: 1, ...first }).driver.start();
    const refused = device(shared, { device: 'meter-2', line, unitId: 2, ...second });
    await expect(refused.driver.start()).rejects.toThrow(
      /^device "meter-2": serial \S+ is already used by device "meter-1" with /,
    );
    const again = device(shared, { device: 'meter-3', line, unitId: 2, ...second });
    await expect(again.driver.start()).rejects.toThrow(text);
  });

  it('names a device still on the line, not the one that opened it and has left', async () => {
    const { line } = await serialLine([1, 2, 3]);
    const shared: Shared = { buses: new ModbusBusRegistry(), captured: capturingLogger() };
    const opener = device(shared, { device: 'meter-1', line, unitId: 1 });
    await opener.driver.start();
    await device(shared, { device: 'meter-2', line, unitId: 2 }).driver.start();
    await opener.driver.stop();
    const refused = device(shared, { device: 'meter-3', line, unitId: 3, lateReplyGuardMs: 50 });
    await expect(refused.driver.start()).rejects.toThrow(/is already used by device "meter-2" with/);
  });
});

describe('a shared serial server (RTU over TCP)', () => {
  it('shares one connection between devices with the same inter-frame delay and refuses another one', async () => {
    const sim = new RtuSlaveSimulator([1, 2, 3]);
    sim.unit(1).holding.set([11, 12]);
    sim.unit(2).holding.set([21, 22]);
    const { port } = await sim.listenTcp(0);
    cleanups.push(() => sim.close());
    const shared: Shared = { buses: new ModbusBusRegistry(), captured: capturingLogger() };
    const line: RtuLine = { kind: 'tcp', host: '127.0.0.1', port };
    const one = device(shared, { device: 'tank-1', line, unitId: 1 });
    const two = device(shared, { device: 'tank-2', line: { ...line, interFrameDelayMs: 1.75 }, unitId: 2 });
    await one.driver.start();
    await two.driver.start();
    await one.until(allGood);
    await two.until(allGood);
    expect(shared.buses.size).toBe(1);
    expect(one.driver.stats().connects).toBe(1);

    const other = device(shared, { device: 'tank-3', line: { ...line, interFrameDelayMs: 10 }, unitId: 3 });
    await expect(other.driver.start()).rejects.toThrow(
      `device "tank-3": RTU over TCP 127.0.0.1:${port} is already used by device "tank-1" with inter-frame 1.75 ms, reconnect backoff 20..50 ms, this device asks for inter-frame 10 ms, reconnect backoff 20..50 ms; every device on one line must use the same line settings`,
    );
  });
});

describe('LineUsers', () => {
  it('gives the connect the longest timeout of the devices on the line right now', () => {
    const { log } = capturingLogger();
    const users = new LineUsers(log);
    expect(users.longestTimeoutMs(300)).toBe(300);
    const leaveSlow = users.join({ device: 'slow', log, timeoutMs: 2000 });
    users.join({ device: 'fast', log, timeoutMs: 100 });
    expect(users.longestTimeoutMs(300)).toBe(2000);
    leaveSlow();
    expect(users.longestTimeoutMs(300)).toBe(100);
    expect(users.first?.device).toBe('fast');
  });
});
