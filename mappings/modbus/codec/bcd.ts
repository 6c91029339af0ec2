/**
 * Packed BCD: one decimal digit per nibble, most significant digit first. bcd16 is one register (4 digits,
 * 16-bit byte order); bcd32 is two registers (8 digits) in the 32-bit byte/word order.
 */
import type { ByteOrder } from '../../schema.ts';
import { makeGather, makeScatter } from './byte-order.ts';
import { makeUnscaler, type Scaling, scaledDecoder } from './scaling.ts';
import { describeValue, type RegisterCodec, roundToInteger, toFiniteNumber } from './types.ts';

export type BcdType = 'bcd16' | 'bcd32';

function hex(value: number, digits: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;
}

export function decodeBcd(raw: number, digits: number): number {
  let value = 0;
  for (let i = digits - 1; i >= 0; i--) {
    const nibble = (raw >>> (i * 4)) & 0xf;
    if (nibble > 9) {
      throw new Error(
        `invalid BCD ${hex(raw, digits)}: digit ${digits - i} of ${digits} (most significant first) is ${hex(nibble, 1)}, not 0-9`,
      );
    }
    value = value * 10 + nibble;
  }
  return value;
}

export function encodeBcd(value: number, digits: number): number {
  let raw = 0;
  let rest = value;
  for (let i = 0; i < digits; i++) {
    raw += (rest % 10) * 2 ** (i * 4);
    rest = Math.floor(rest / 10);
  }
  return raw;
}

export function buildBcdCodec(type: BcdType, order: ByteOrder, scaling: Scaling): RegisterCodec {
  const words = type === 'bcd16' ? 1 : 2;
  const digits = words * 4;
  const max = 10 ** digits - 1;
  const view = new DataView(new ArrayBuffer(4));
  const gather = makeGather(order, words, view);
  const scatter = makeScatter(order, words, view);
  const readWord = words === 1 ? () => view.getUint16(0) : () => view.getUint32(0);
  const writeWord =
    words === 1 ? (raw: number) => view.setUint16(0, raw) : (raw: number) => view.setUint32(0, raw);

  const readRaw = (regs: Uint16Array, offset: number): number => {
    gather(regs, offset);
    return decodeBcd(readWord(), digits);
  };
  const decode = scaledDecoder(readRaw, scaling);

  const unscaler = makeUnscaler(scaling);
  const encode = (value: unknown): Uint16Array => {
    let raw = toFiniteNumber(value, type);
    if (unscaler !== undefined) raw = roundToInteger(unscaler(raw));
    if (!Number.isInteger(raw) || raw < 0 || raw > max) {
      throw new Error(
        `${describeValue(value)} is out of range for ${type} (raw ${raw}, allowed integers 0..${max})`,
      );
    }
    writeWord(encodeBcd(raw, digits));
    return scatter();
  };
  return { registers: words, decode, encode };
}
