import { createModbusTcpDriver } from '../../drivers/modbus/tcp-driver.ts';
import type { ModbusTcpDeviceConfig } from '../config/schema.ts';
import type { DevicePlugin } from './device-plugin.ts';
import { createModbusInstance } from './modbus-instance.ts';

export const modbusTcpPlugin: DevicePlugin<ModbusTcpDeviceConfig> = {
  create(device, mapping, log, events, context) {
    return createModbusInstance(device, mapping, log, events, context, (poller, driverEvents) =>
      createModbusTcpDriver({ ...poller, host: device.host, port: device.port ?? 502 }, driverEvents),
    );
  },
};
