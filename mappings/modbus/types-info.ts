import type { DataType, ModbusArea } from '../schema.ts';

/** Registers (16-bit words) a value of this type occupies; `length` is the string length in registers. */
export function registerCount(type: DataType, length = 1): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
    case 'bcd16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
    case 'bcd32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return length;
  }
}

export function isBitArea(area: ModbusArea): boolean {
  return area === 'coil' || area === 'discrete';
}

/** Modbus function code used to read each area. */
export const READ_FUNCTION: Readonly<Record<ModbusArea, number>> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
};
