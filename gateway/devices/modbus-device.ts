/**
 * What the Modbus DevicePlugins (TCP, RTU, RTU over TCP) share: the mapping compiled for the device, the
 * poller's options taken from the device config, and the driver's readings decoded into TagSamples. Each
 * plugin only adds how its device is reached (host, serial line, bus registry).
 */
import type { Driver, DriverEvents } from '../../core/driver.ts';
import { atomsForPlan } from '../../drivers/modbus/block-atoms.ts';
import type { DevicePollerOptions, ModbusDriverReading } from '../../drivers/modbus/device-poller.ts';
import { compileModbusMapping } from '../../mappings/modbus/compile.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';
import type { ModbusDeviceConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { type CompiledDevice, type DeviceContext, pollPhaseMs } from './device-plugin.ts';
import { modbusSamples } from './modbus-readings.ts';

export type ModbusPollerOptions = Omit<DevicePollerOptions, 'now'>;

export function compileModbusDevice(
  device: ModbusDeviceConfig,
  mapping: ModbusMapping,
  log: Logger,
  context: DeviceContext | undefined,
  makeDriver: (poller: ModbusPollerOptions, driverEvents: DriverEvents<ModbusDriverReading>) => Driver,
): CompiledDevice {
  const compiled = compileModbusMapping(mapping, device);
  const pollIntervalMs = device.pollIntervalMs ?? 1000;
  const timeoutMs = device.timeoutMs ?? 1000;
  const poller: ModbusPollerOptions = {
    device: device.name,
    unitId: device.unitId ?? 1,
    timeoutMs,
    pollIntervalMs,
    pollPhaseMs: pollPhaseMs(context, pollIntervalMs),
    plan: compiled.plan,
    atoms: atomsForPlan(compiled.plan, compiled.tags),
    log,
  };
  return {
    tags: compiled.tags,
    defaultStaleAfterMs: 3 * pollIntervalMs + timeoutMs,
    createDriver: (events) =>
      makeDriver(poller, {
        onReading: (reading) => events.onSamples(modbusSamples(compiled, reading), reading.ts),
        onConnectionState: (state, reason) => events.onConnectionState(state, reason),
      }),
  };
}
