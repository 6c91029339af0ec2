import { createModbusTcpDriver } from '../../drivers/modbus/tcp-driver.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';
import type { ModbusTcpDeviceConfig } from '../config/schema.ts';
import type { DevicePlugin } from './device-plugin.ts';
import { compileModbusDevice } from './modbus-device.ts';

export const modbusTcpPlugin: DevicePlugin<ModbusTcpDeviceConfig, ModbusMapping> = {
  compile(device, mapping, log, context) {
    return compileModbusDevice(device, mapping, log, context, (poller, driverEvents) =>
      createModbusTcpDriver({ ...poller, host: device.host, port: device.port ?? 502 }, driverEvents),
    );
  },
};
