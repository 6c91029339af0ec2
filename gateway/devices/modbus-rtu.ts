/**
 * The Modbus RTU DevicePlugins (issue 4): `modbus-rtu` on a serial port and `modbus-rtu-tcp` through a
 * serial server. Devices on one line share one bus: the ModbusBusRegistry lives in the gateway's
 * `context.shared` map (one per gateway, so reloads and tests never share state through modules).
 */
import { ModbusBusRegistry } from '../../drivers/modbus/bus-registry.ts';
import { createModbusRtuDriver, type RtuLine } from '../../drivers/modbus/rtu-driver.ts';
import type { ModbusRtuDeviceConfig, ModbusRtuTcpDeviceConfig } from '../config/schema.ts';
import { serialLineOf } from '../config/serial-line.ts';
import type { Logger } from '../log.ts';
import type { DeviceContext, DeviceEvents, DeviceInstance, DevicePlugin } from './device-plugin.ts';
import { createModbusInstance } from './modbus-instance.ts';

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

export const modbusRtuPlugin: DevicePlugin<ModbusRtuDeviceConfig> = {
  create(device, mapping, log, events, context) {
    const line: RtuLine = { kind: 'serial', ...serialLineOf(device) };
    return create(device, line, mapping, log, events, context);
  },
};

export const modbusRtuTcpPlugin: DevicePlugin<ModbusRtuTcpDeviceConfig> = {
  create(device, mapping, log, events, context) {
    const line: RtuLine = {
      kind: 'tcp',
      host: device.host,
      port: device.port,
      interFrameDelayMs: device.interFrameDelayMs,
    };
    return create(device, line, mapping, log, events, context);
  },
};

function create(
  device: ModbusRtuDeviceConfig | ModbusRtuTcpDeviceConfig,
  line: RtuLine,
  mapping: unknown,
  log: Logger,
  events: DeviceEvents,
  context: DeviceContext | undefined,
): DeviceInstance {
  return createModbusInstance(device, mapping, log, events, context, (poller, driverEvents) =>
    createModbusRtuDriver(
      { ...poller, line, lateReplyGuardMs: device.lateReplyGuardMs, buses: modbusBuses(context) },
      driverEvents,
    ),
  );
}
