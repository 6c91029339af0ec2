/**
 * The RTU plugins through the DevicePlugin API: devices on one line share one bus through the plugin
 * context's shared map, and tags in a block's unreadable part go bad while their neighbours stay good.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { TagSample } from '../../../core/sample.ts';
import { ModbusBusRegistry } from '../../../drivers/modbus/bus-registry.ts';
import {
  type DeviceContext,
  type DeviceInstance,
  instantiate,
} from '../../../gateway/devices/device-plugin.ts';
import { modbusRtuTcpPlugin } from '../../../gateway/devices/modbus-rtu.ts';
import type { ModbusMapping } from '../../../mappings/schema.ts';
import { RtuSlaveSimulator } from '../../../simulators/modbus/rtu-simulator.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const mapping: ModbusMapping = {
  tags: [
    { name: 'a', area: 'holding', address: 0, type: 'uint16' },
    { name: 'hole', area: 'holding', address: 2, type: 'uint16' },
    { name: 'b', area: 'holding', address: 4, type: 'uint16' },
  ],
};

function start(unitId: number, port: number, context: DeviceContext) {
  const samples: (TagSample | undefined)[][] = [];
  let resolveGood: (() => void) | undefined;
  const good = new Promise<void>((resolve) => {
    resolveGood = resolve;
  });
  const compiled = modbusRtuTcpPlugin.compile(
    {
      name: `meter-${unitId}`,
      driver: 'modbus-rtu-tcp',
      host: '127.0.0.1',
      port,
      unitId,
      pollIntervalMs: 20,
      timeoutMs: 200,
      mapping: 'm.json',
    },
    mapping,
    pino({ level: 'silent' }),
    context,
  );
  const instance: DeviceInstance = instantiate(compiled, {
    onSamples: (s) => {
      samples.push([...s]);
      if (s[0]?.quality === 'good') resolveGood?.();
    },
    onConnectionState: () => {},
  });
  cleanups.push(() => instance.driver.stop());
  void instance.driver.start();
  return { samples, good };
}

describe('modbus-rtu-tcp plugin', () => {
  it('shares one line between devices and marks only the unreadable tag bad', async () => {
    const sim = new RtuSlaveSimulator([1, 2]);
    sim.unit(1).holding.set([10, 0, 0, 0, 14]);
    sim.unit(2).holding.set([20, 0, 0, 0, 24]);
    sim.unit(1).rules = [{ area: 'holding', start: 2, count: 1, code: 2 }];
    const { port } = await sim.listenTcp(0);
    cleanups.push(() => sim.close());
    const shared = new Map<string, unknown>();
    const context: DeviceContext = { stateDir: '/tmp', env: {}, shared };
    const one = start(1, port, context);
    const two = start(2, port, context);
    await Promise.all([one.good, two.good]);
    const registry = shared.get('modbus-buses');
    expect(registry).toBeInstanceOf(ModbusBusRegistry);
    expect((registry as ModbusBusRegistry).size).toBe(1);
    const first = one.samples.find((s) => s[0]?.quality === 'good')!;
    expect(first.map((s) => [s?.tag, s?.quality, s?.value, s?.code])).toEqual([
      ['a', 'good', 10, undefined],
      ['hole', 'bad', null, 2],
      ['b', 'good', 14, undefined],
    ]);
    expect(first[1]!.error).toBe('Modbus exception 02 (illegal data address) reading holding 2..2');
    const second = two.samples.find((s) => s[0]?.quality === 'good')!;
    expect(second.map((s) => s?.value)).toEqual([20, 0, 24]);
  });
});
