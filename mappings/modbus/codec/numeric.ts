/**
 * Fixed-width integers and IEEE floats. Every format reads and writes one big-endian DataView word
 * sequence; the byte order is handled entirely by the gather/scatter chosen at compile time.
 */
import type { ByteOrder } from '../../schema.ts';
import { makeGather, makeScatter } from './byte-order.ts';
import { makeScaler, makeUnscaler, type Scaling, scaledDecoder } from './scaling.ts';
import { describeValue, type RegisterCodec, roundToInteger, toFiniteNumber } from './types.ts';

export type NumberType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';
export type BigIntType = 'int64' | 'uint64';

interface NumberFormat {
  readonly words: number;
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  readonly read: (view: DataView) => number;
  readonly write: (view: DataView, value: number) => void;
}

const FLOAT32_MAX = 3.4028234663852886e38;

const NUMBER_FORMATS: Readonly<Record<NumberType, NumberFormat>> = Object.freeze({
  int16: {
    words: 1,
    integer: true,
    min: -0x8000,
    max: 0x7fff,
    read: (v) => v.getInt16(0),
    write: (v, n) => v.setInt16(0, n),
  },
  uint16: {
    words: 1,
    integer: true,
    min: 0,
    max: 0xffff,
    read: (v) => v.getUint16(0),
    write: (v, n) => v.setUint16(0, n),
  },
  int32: {
    words: 2,
    integer: true,
    min: -0x80000000,
    max: 0x7fffffff,
    read: (v) => v.getInt32(0),
    write: (v, n) => v.setInt32(0, n),
  },
  uint32: {
    words: 2,
    integer: true,
    min: 0,
    max: 0xffffffff,
    read: (v) => v.getUint32(0),
    write: (v, n) => v.setUint32(0, n),
  },
  float32: {
    words: 2,
    integer: false,
    min: -FLOAT32_MAX,
    max: FLOAT32_MAX,
    read: (v) => v.getFloat32(0),
    write: (v, n) => v.setFloat32(0, n),
  },
  float64: {
    words: 4,
    integer: false,
    min: -Number.MAX_VALUE,
    max: Number.MAX_VALUE,
    read: (v) => v.getFloat64(0),
    write: (v, n) => v.setFloat64(0, n),
  },
});

export function buildNumberCodec(type: NumberType, order: ByteOrder, scaling: Scaling): RegisterCodec {
  const format = NUMBER_FORMATS[type];
  const { read, write, integer, min, max, words } = format;
  // One scratch view per tag, allocated at compile time: decode is synchronous, so it is never shared.
  const view = new DataView(new ArrayBuffer(8));
  const gather = makeGather(order, words, view);
  const scatter = makeScatter(order, words, view);

  const readRaw = integer
    ? (regs: Uint16Array, offset: number): number => {
        gather(regs, offset);
        return read(view);
      }
    : (regs: Uint16Array, offset: number): number => {
        gather(regs, offset);
        const value = read(view);
        // NaN and ±Infinity have no JSON form; publishing null or a string would hide a device fault.
        if (!Number.isFinite(value)) throw new Error(`not a finite number (${value})`);
        return value;
      };
  const decode = scaledDecoder(readRaw, scaling);

  const unscaler = makeUnscaler(scaling);
  const encode = (value: unknown): Uint16Array => {
    let raw = toFiniteNumber(value, type);
    if (unscaler !== undefined) {
      raw = unscaler(raw);
      // Scaled writes land between integers through float arithmetic (12.3 / 0.1 = 122.99999999999999).
      if (integer) raw = roundToInteger(raw);
    }
    if (integer && !Number.isInteger(raw)) throw new Error(`${raw} is not an integer (type ${type})`);
    if (!(raw >= min && raw <= max)) {
      throw new Error(
        `${describeValue(value)} is out of range for ${type} (raw ${raw}, allowed ${min}..${max})`,
      );
    }
    write(view, raw);
    return scatter();
  };
  return { registers: words, decode, encode };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const BIG_RANGES: Readonly<Record<BigIntType, { readonly min: bigint; readonly max: bigint }>> =
  Object.freeze({
    int64: { min: -(1n << 63n), max: (1n << 63n) - 1n },
    uint64: { min: 0n, max: (1n << 64n) - 1n },
  });

/** A JS number when exact (within ±(2^53−1)), otherwise the exact decimal string: never a rounded number. */
export function bigIntToTagValue(value: bigint): number | string {
  return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

function toBigInt(value: unknown, type: BigIntType): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value)) {
    throw new Error(
      `${value} is beyond ±(2^53−1) and may already be rounded: send ${type} values that large as a decimal string`,
    );
  }
  throw new Error(
    `expected an integer (number, or decimal string for large values) for ${type}, got ${describeValue(value)}`,
  );
}

function scaledToBigInt(raw: number, value: unknown, type: BigIntType): bigint {
  if (!Number.isFinite(raw))
    throw new Error(`${describeValue(value)} is out of range for ${type} after scaling`);
  return BigInt(roundToInteger(raw));
}

/**
 * 64-bit integers go through BigInt so no digit is lost. With scale/offset the result is a float anyway,
 * so the raw value is converted to a JS number first (exact up to 2^53, nearest double beyond).
 */
export function buildBigIntCodec(type: BigIntType, order: ByteOrder, scaling: Scaling): RegisterCodec {
  const signed = type === 'int64';
  const view = new DataView(new ArrayBuffer(8));
  const gather = makeGather(order, 4, view);
  const scatter = makeScatter(order, 4, view);
  const readRaw = signed
    ? (regs: Uint16Array, offset: number): bigint => {
        gather(regs, offset);
        return view.getBigInt64(0);
      }
    : (regs: Uint16Array, offset: number): bigint => {
        gather(regs, offset);
        return view.getBigUint64(0);
      };
  const scaler = makeScaler(scaling);
  const decode =
    scaler === undefined
      ? (regs: Uint16Array, offset: number) => bigIntToTagValue(readRaw(regs, offset))
      : (regs: Uint16Array, offset: number) => scaler(Number(readRaw(regs, offset)));

  const unscaler = makeUnscaler(scaling);
  const { min, max } = BIG_RANGES[type];
  const encode = (value: unknown): Uint16Array => {
    const raw =
      unscaler === undefined
        ? toBigInt(value, type)
        : scaledToBigInt(unscaler(toFiniteNumber(value, type)), value, type);
    if (raw < min || raw > max) {
      throw new Error(
        `${describeValue(value)} is out of range for ${type} (raw ${raw}, allowed ${min}..${max})`,
      );
    }
    if (signed) view.setBigInt64(0, raw);
    else view.setBigUint64(0, raw);
    return scatter();
  };
  return { registers: 4, decode, encode };
}
