/**
 * Device plugins by their config name, and the one place a loaded device (config + typed mapping) meets
 * its plugin. Each plugin is imported only when a config uses it, so a Modbus-only gateway never pays for
 * loading OPC UA (node-opcua takes seconds to import). A new driver adds a plugin file and a case here.
 */
import type { LoadedDevice } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { CompiledDevice, DeviceContext } from './device-plugin.ts';

/** Compiles a device's mapping with its driver's plugin (loaded on first use). */
export async function compileDevice(
  device: LoadedDevice,
  log: Logger,
  context?: DeviceContext,
): Promise<CompiledDevice> {
  if (device.kind === 'opcua') {
    const { opcUaPlugin } = await import('./opcua.ts');
    return opcUaPlugin.compile(device.config, device.mapping, log, context);
  }
  const { config, mapping } = device;
  switch (config.driver) {
    case 'modbus-tcp':
      return (await import('./modbus-tcp.ts')).modbusTcpPlugin.compile(config, mapping, log, context);
    case 'modbus-rtu':
      return (await import('./modbus-rtu.ts')).modbusRtuPlugin.compile(config, mapping, log, context);
    case 'modbus-rtu-tcp':
      return (await import('./modbus-rtu.ts')).modbusRtuTcpPlugin.compile(config, mapping, log, context);
    default:
      throw new Error(
        `device ${(config as { name: string }).name}: unknown driver "${unknownDriver(config)}"`,
      );
  }
}

function unknownDriver(config: never): string {
  return String((config as { driver: unknown }).driver);
}
