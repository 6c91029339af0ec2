/**
 * A modbus-rtu device's serial line with the defaults filled in (the Modbus defaults: 19200 baud, 8 data
 * bits, even parity, 1 stop bit). One function for the device plugin, which opens the line, and for
 * `fieldbridge validate`, which compares the lines of devices sharing a port: the two cannot disagree.
 */
import type { Parity, SerialLineSettings } from '../../drivers/modbus/serial-link.ts';
import type { ModbusRtuDeviceConfig } from './schema.ts';

export interface SerialLine extends SerialLineSettings {
  readonly interFrameDelayMs?: number | undefined;
}

type LineFields = Pick<
  ModbusRtuDeviceConfig,
  'port' | 'baudRate' | 'dataBits' | 'parity' | 'stopBits' | 'interFrameDelayMs'
>;

export function serialLineOf(device: LineFields): SerialLine {
  return {
    path: device.port,
    baudRate: device.baudRate ?? 19_200,
    dataBits: device.dataBits ?? 8,
    parity: (device.parity ?? 'even') as Parity,
    stopBits: device.stopBits ?? 1,
    interFrameDelayMs: device.interFrameDelayMs,
  };
}
