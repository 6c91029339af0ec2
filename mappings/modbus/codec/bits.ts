/**
 * Booleans: a coil/discrete input (one byte per bit in BlockResult.bits), or one bit of a register
 * (0 = least significant, counted after the 16-bit byte order).
 */
import type { ByteOrder } from '../../schema.ts';
import { makeGather } from './byte-order.ts';
import { describeValue, type RegisterCodec } from './types.ts';

export function decodeBit(bits: Uint8Array, offset: number): boolean {
  return bits[offset] !== 0;
}

/** A coil write value: true/false, or 1/0 as many SCADA systems send. */
export function encodeBit(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  throw new Error(`expected true/false (or 1/0), got ${describeValue(value)}`);
}

/**
 * No encoder: setting one bit means read-modify-write of the whole register, which is not atomic over
 * Modbus and would clobber the other bits if done from this value alone.
 */
export function buildRegisterBitCodec(bit: number, order: ByteOrder): RegisterCodec {
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw new Error(`bit ${bit} is out of range 0..15`);
  const view = new DataView(new ArrayBuffer(2));
  const gather = makeGather(order, 1, view);
  const decode = (regs: Uint16Array, offset: number): boolean => {
    gather(regs, offset);
    return ((view.getUint16(0) >>> bit) & 1) === 1;
  };
  return { registers: 1, decode };
}
