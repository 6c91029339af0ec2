/**
 * What the Modbus DevicePlugins (TCP, RTU, RTU over TCP) share: the mapping compiled for the device, the
 * poller's options taken from the device config, and the driver's readings turned into TagSamples. Each
 * plugin only adds how its device is reached (host, serial line, bus registry).
 */
import type { Driver, DriverEvents } from '../../core/driver.ts';
import { atomsForPlan } from '../../drivers/modbus/block-atoms.ts';
import type { DevicePollerOptions, ModbusDriverReading } from '../../drivers/modbus/device-poller.ts';
import { compileModbusMapping } from '../../mappings/modbus/compile.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';
import type { ModbusDeviceConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { type DeviceContext, type DeviceEvents, type DeviceInstance, pollPhaseMs } from './device-plugin.ts';
import { modbusSamples } from './modbus-readings.ts';

export type ModbusPollerOptions = Omit<DevicePollerOptions, 'now'>;

export function createModbusInstance(
  device: ModbusDeviceConfig,
  mapping: unknown,
  log: Logger,
  events: DeviceEvents,
  context: DeviceContext | undefined,
  makeDriver: (poller: ModbusPollerOptions, driverEvents: DriverEvents<ModbusDriverReading>) => Driver,
): DeviceInstance {
  const compiled = compileModbusMapping(mapping as ModbusMapping, device);
  const pollIntervalMs = device.pollIntervalMs ?? 1000;
  const timeoutMs = device.timeoutMs ?? 1000;
  const driver = makeDriver(
    {
      device: device.name,
      unitId: device.unitId ?? 1,
      timeoutMs,
      pollIntervalMs,
      pollPhaseMs: pollPhaseMs(context, pollIntervalMs),
      plan: compiled.plan,
      atoms: atomsForPlan(compiled.plan, compiled.tags),
      log,
    },
    {
      onReading: (reading) => events.onSamples(modbusSamples(compiled, reading), reading.ts),
      onConnectionState: (state, reason) => events.onConnectionState(state, reason),
    },
  );
  return { tags: compiled.tags, driver, defaultStaleAfterMs: 3 * pollIntervalMs + timeoutMs };
}
