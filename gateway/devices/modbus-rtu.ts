/**
 * The Modbus RTU DevicePlugins (issue 4): `modbus-rtu` on a serial port and `modbus-rtu-tcp` through a
 * serial server. Devices on one line share one bus: the ModbusBusRegistry lives in the gateway's
 * `context.shared` map (one per gateway, so reloads and tests never share state through modules).
 */
import { ModbusBusRegistry } from '../../drivers/modbus/bus-registry.ts';
import { createModbusRtuDriver, type RtuLine } from '../../drivers/modbus/rtu-driver.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';
import type { ModbusRtuDeviceConfig, ModbusRtuTcpDeviceConfig } from '../config/schema.ts';
import { serialLineOf } from '../config/serial-line.ts';
import type { Logger } from '../log.ts';
import type { CompiledDevice, DeviceContext, DevicePlugin } from './device-plugin.ts';
import { compileModbusDevice } from './modbus-device.ts';

const BUSES_KEY = 'modbus-buses';

/** The gateway's bus registry, created in the shared map on first use. */
export function modbusBuses(context: DeviceContext | undefined): ModbusBusRegistry {
  const shared = context?.shared;
  if (shared === undefined) return new ModbusBusRegistry();
  let registry = shared.get(BUSES_KEY);
  if (!(registry instanceof ModbusBusRegistry)) {
    registry = new ModbusBusRegistry();
    shared.set(BUSES_KEY, registry);
  }
  return registry as ModbusBusRegistry;
}

export const modbusRtuPlugin: DevicePlugin<ModbusRtuDeviceConfig, ModbusMapping> = {
  compile(device, mapping, log, context) {
    const line: RtuLine = { kind: 'serial', ...serialLineOf(device) };
    return compile(device, line, mapping, log, context);
  },
};

export const modbusRtuTcpPlugin: DevicePlugin<ModbusRtuTcpDeviceConfig, ModbusMapping> = {
  compile(device, mapping, log, context) {
    const line: RtuLine = {
      kind: 'tcp',
      host: device.host,
      port: device.port,
      interFrameDelayMs: device.interFrameDelayMs,
    };
    return compile(device, line, mapping, log, context);
  },
};

function compile(
  device: ModbusRtuDeviceConfig | ModbusRtuTcpDeviceConfig,
  line: RtuLine,
  mapping: ModbusMapping,
  log: Logger,
  context: DeviceContext | undefined,
): CompiledDevice {
  return compileModbusDevice(device, mapping, log, context, (poller, driverEvents) =>
    createModbusRtuDriver(
      { ...poller, line, lateReplyGuardMs: device.lateReplyGuardMs, buses: modbusBuses(context) },
      driverEvents,
    ),
  );
}
