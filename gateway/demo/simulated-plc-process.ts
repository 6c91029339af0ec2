/**
 * A process model for any Modbus mapping file: every tag gets a plausible, changing value, written into
 * register banks with the tag's own codec (so byte orders, scaling and strings are exactly what a real PLC
 * configured to match the mapping would hold). Used by `fieldbridge demo`, the integration tests and the
 * benchmarks. Writable tags keep their initial value so that writes stay visible.
 */

import { resolveAddress } from '../../mappings/modbus/address.ts';
import { buildRegisterCodec, normalizeByteOrder, type RegisterEncoder } from '../../mappings/modbus/codec.ts';
import type { DataType, ModbusMapping, ModbusTag } from '../../mappings/schema.ts';

/** The four Modbus tables of one unit: bits as 0/1 bytes, registers as 16-bit words. */
export interface RegisterBanks {
  readonly coils: Uint8Array;
  readonly discrete: Uint8Array;
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
}

/** Writes the value of every tag at time `t` (seconds since start) into the banks. */
export type ProcessStep = (banks: RegisterBanks, t: number) => void;

export function compileProcessModel(mapping: ModbusMapping): ProcessStep {
  const steps = mapping.tags.map((tag, index) => compileTag(tag, index, mapping.byteOrder));
  return (banks, t) => {
    for (const step of steps) step(banks, t);
  };
}

function compileTag(tag: ModbusTag, index: number, defaultOrder: string | undefined): ProcessStep {
  const address = resolveAddress(tag);
  if (typeof address === 'string') throw new Error(`simulated PLC: tag "${tag.name}": ${address}`);
  const period = 20 + 7 * index; // seconds; different per tag so the demo shows a lively mix
  const writableOnce = tag.writable === true;
  let written = false;

  if (address.area === 'coil' || address.area === 'discrete') {
    const bits = address.area === 'coil' ? 'coils' : 'discrete';
    return (banks, t) => {
      if (writableOnce && written) return;
      written = true;
      banks[bits][address.address] = Math.floor(t / (period / 4)) % 2;
    };
  }
  const registers = address.area === 'holding' ? 'holding' : 'input';
  const order = normalizeByteOrder(tag.byteOrder ?? defaultOrder ?? 'ABCD');
  if (tag.type === 'bool') {
    // A bit of a register: the codec reads it after the 16-bit byte order, so swap the bit's byte to match.
    const bit = (tag.bit ?? 0) + (order === 'BADC' || order === 'DCBA' ? 8 : 0);
    const mask = 1 << (bit % 16);
    return (banks, t) => {
      if (writableOnce && written) return;
      written = true;
      const on = Math.floor(t / (period / 4)) % 2 === 1;
      const bank = banks[registers];
      bank[address.address] = on ? (bank[address.address] ?? 0) | mask : (bank[address.address] ?? 0) & ~mask;
    };
  }
  const codec = buildRegisterCodec({ ...tag, byteOrder: order });
  const encode = codec.encode as RegisterEncoder;
  const value = valueFunction(tag, period);
  return (banks, t) => {
    if (writableOnce && written) return;
    written = true;
    banks[registers].set(encode(value(t)), address.address);
  };
}

/** Engineering-unit value over time, inside what the tag's type (after scale/offset) can hold. */
function valueFunction(tag: ModbusTag, period: number): (t: number) => unknown {
  const scale = tag.scale ?? 1;
  const offset = tag.offset ?? 0;
  const eng = (raw: number) => raw * scale + offset;
  const wave = (low: number, high: number) => (t: number) =>
    eng(Math.round(low + ((high - low) * (1 + Math.sin((2 * Math.PI * t) / period))) / 2));
  const counter = (start: number, perSecond: number) => (t: number) => eng(start + Math.floor(t * perSecond));
  const floatWave = (low: number, high: number) => (t: number) =>
    eng(low + ((high - low) * (1 + Math.sin((2 * Math.PI * t) / period))) / 2);
  const byType: Record<Exclude<DataType, 'bool' | 'string'>, (t: number) => unknown> = {
    int16: wave(-500, 1500),
    uint16: wave(0, 1000),
    int32: wave(-100_000, 100_000),
    uint32: counter(1000, 1),
    int64: counter(3_600_000, 1000),
    uint64: counter(1_000_000, 25),
    float32: floatWave(0, 100),
    float64: floatWave(1000, 2000),
    bcd16: counter(1200, 0.1),
    bcd32: counter(20_261_125, 0.01),
  };
  if (tag.type === 'string') {
    const text = `FB-${tag.name.toUpperCase()}`.slice(0, (tag.length ?? 1) * 2);
    return () => text;
  }
  if (tag.type === 'bool') return () => false;
  return byType[tag.type];
}
