import { atomsForPlan } from '../../drivers/modbus/block-atoms.ts';
import { createModbusTcpDriver } from '../../drivers/modbus/tcp-driver.ts';
import { compileModbusMapping } from '../../mappings/modbus/compile.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';
import type { ModbusTcpDeviceConfig } from '../config/schema.ts';
import { type DevicePlugin, pollPhaseMs } from './device-plugin.ts';
import { modbusSamples } from './modbus-readings.ts';

export const modbusTcpPlugin: DevicePlugin<ModbusTcpDeviceConfig> = {
  create(device, mapping, log, events, context) {
    const compiled = compileModbusMapping(mapping as ModbusMapping, device);
    const pollIntervalMs = device.pollIntervalMs ?? 1000;
    const timeoutMs = device.timeoutMs ?? 1000;
    const driver = createModbusTcpDriver(
      {
        device: device.name,
        host: device.host,
        port: device.port ?? 502,
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
  },
};
