/**
 * Modbus exception codes and the human texts the driver puts into ReadFailure messages (which become the
 * `error` of bad TagSamples). Shared by the driver and the simulator so both speak of the same codes.
 * Names follow the Modbus Application Protocol Specification V1.1b3, section 7.
 */
import type { ReadBlock } from '../../mappings/modbus/read-plan.ts';

export const MODBUS_EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  acknowledge: 0x05,
  serverDeviceBusy: 0x06,
  memoryParityError: 0x08,
  gatewayPathUnavailable: 0x0a,
  gatewayTargetFailedToRespond: 0x0b,
} as const;

const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** "Modbus exception 02 (illegal data address)"; two hex digits as device manuals print them. */
export function describeModbusException(code: number): string {
  const hex = code.toString(16).toUpperCase().padStart(2, '0');
  return `Modbus exception ${hex} (${EXCEPTION_NAMES[code] ?? 'unknown exception'})`;
}

/** "holding 100..109": the area and the inclusive zero-based address range of a block. */
export function describeBlock(block: ReadBlock): string {
  return `${block.area} ${block.start}..${block.start + block.count - 1}`;
}
