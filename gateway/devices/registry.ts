/**
 * Device drivers by their config name. Each is imported only when a config uses it, so a Modbus-only
 * gateway never pays for loading OPC UA (node-opcua takes seconds to import).
 */
import type { DeviceConfig } from '../config/schema.ts';
import type { DevicePlugin } from './device-plugin.ts';

type Loaders = {
  readonly [K in DeviceConfig['driver']]: () => Promise<DevicePlugin<Extract<DeviceConfig, { driver: K }>>>;
};

const LOADERS: Loaders = {
  'modbus-tcp': async () => (await import('./modbus-tcp.ts')).modbusTcpPlugin,
  'modbus-rtu': async () => (await import('./modbus-rtu.ts')).modbusRtuPlugin,
  'modbus-rtu-tcp': async () => (await import('./modbus-rtu.ts')).modbusRtuTcpPlugin,
  opcua: async () => (await import('./opcua.ts')).opcUaPlugin,
};

export async function loadDevicePlugin<C extends DeviceConfig>(device: C): Promise<DevicePlugin<C>> {
  const load = LOADERS[device.driver as DeviceConfig['driver']];
  if (load === undefined) throw new Error(`device ${device.name}: unknown driver "${device.driver}"`);
  return (await load()) as unknown as DevicePlugin<C>;
}
