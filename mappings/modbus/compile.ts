/**
 * Compiles a Modbus tag mapping for one device, once at start-up: resolves addresses, merges byte-order
 * and publish defaults (tag ← mapping ← device ← built-in), builds each tag's codec, and plans the reads.
 * The result's `decode` turns one ModbusReading into TagSamples index-aligned with `tags`, using only
 * precomputed per-tag readers: no lookups, no type switches, no allocation beyond the samples.
 *
 * The mapping is assumed validated by the config loader; anything still impossible (an address that does
 * not resolve, a type that cannot live in the area, a write that cannot be encoded) throws an Error
 * naming the device and tag rather than producing a device that reads garbage.
 */

import type { TagSample } from '../../core/sample.ts';
import { resolvePublishPolicy } from '../publish-policy.ts';
import type { ReportPolicy } from '../report.ts';
import type { DataType, ModbusArea, ModbusMapping, ModbusTag, PublishPolicy } from '../schema.ts';
import { resolveAddress } from './address.ts';
import { buildRegisterCodec, decodeBit, encodeBit, type RegisterCodec } from './codec.ts';
import { MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, type PlanItem, planReads } from './planner.ts';
import type { BlockResult, ModbusReading, ReadPlan } from './read-plan.ts';
import { isBitArea } from './types-info.ts';

export interface ModbusDeviceOptions {
  readonly name: string;
  /** Canonical order or 64-bit alias. */
  readonly byteOrder?: string | undefined;
  readonly publish?: PublishPolicy | undefined;
  readonly maxGap?: number | undefined;
  readonly maxRegistersPerRead?: number | undefined;
  readonly maxBitsPerRead?: number | undefined;
}

export type TagPublishPolicy = ReportPolicy;

export interface CompiledModbusTag {
  readonly name: string;
  readonly area: ModbusArea;
  /** Zero-based protocol address. */
  readonly address: number;
  readonly type: DataType;
  /** Registers the value occupies (coil/discrete: 1 bit). */
  readonly registers: number;
  readonly unit?: string;
  readonly description?: string;
  readonly writable: boolean;
  readonly publish: TagPublishPolicy;
  /** Writable tags only: registers in wire order (holding) or the coil state; throws naming the tag. */
  readonly encode?: (value: unknown) => Uint16Array | boolean;
}

export interface CompiledModbusDevice {
  readonly plan: ReadPlan;
  /** In mapping order; decode's samples are index-aligned with it. */
  readonly tags: readonly CompiledModbusTag[];
  decode(reading: ModbusReading): TagSample[];
}

export { DEFAULT_PUBLISH } from '../publish-policy.ts';
export const DEFAULT_MAX_GAP = 10;

/** Turns one block result into the tag's sample; chosen per tag at compile time. */
type TagReader = (result: BlockResult & { ok: true }, ts: number) => TagSample;

function badSample(tag: string, ts: number, error: string, code?: number): TagSample {
  return code === undefined
    ? { tag, value: null, quality: 'bad', ts, error }
    : { tag, value: null, quality: 'bad', ts, error, code };
}

function registerReader(
  name: string,
  where: string,
  block: number,
  offset: number,
  codec: RegisterCodec,
): TagReader {
  const { decode, registers } = codec;
  const end = offset + registers;
  return (result, ts) => {
    if (!('registers' in result))
      return badSample(name, ts, `read block ${block} returned bits, expected registers`);
    const regs = result.registers;
    if (end > regs.length) {
      return badSample(
        name,
        ts,
        `short response: block ${block} has ${regs.length} registers, tag "${name}" needs ${end}`,
      );
    }
    try {
      return { tag: name, value: decode(regs, offset), quality: 'good', ts };
    } catch (error) {
      return badSample(name, ts, `tag "${name}" (${where}): ${(error as Error).message}`);
    }
  };
}

function bitReader(name: string, block: number, offset: number): TagReader {
  return (result, ts) => {
    if (!('bits' in result))
      return badSample(name, ts, `read block ${block} returned registers, expected bits`);
    if (offset >= result.bits.length) {
      return badSample(
        name,
        ts,
        `short response: block ${block} has ${result.bits.length} bits, tag "${name}" needs ${offset + 1}`,
      );
    }
    return { tag: name, value: decodeBit(result.bits, offset), quality: 'good', ts };
  };
}

function namedEncoder<T>(name: string, encode: (value: unknown) => T): (value: unknown) => T {
  return (value) => {
    try {
      return encode(value);
    } catch (error) {
      throw new Error(`tag "${name}": cannot write: ${(error as Error).message}`, { cause: error });
    }
  };
}

interface PreparedTag {
  readonly tag: CompiledModbusTag;
  readonly item: PlanItem;
  readonly makeReader: (block: number, offset: number) => TagReader;
}

function prepareTag(tag: ModbusTag, mapping: ModbusMapping, device: ModbusDeviceOptions): PreparedTag {
  const resolved = resolveAddress(tag);
  if (typeof resolved === 'string') throw new Error(resolved);
  const { area, address } = resolved;
  const writable = tag.writable === true;
  if (writable && area !== 'coil' && area !== 'holding') {
    throw new Error(`writable is only possible for coil and holding areas, not ${area}`);
  }

  let registers: number;
  let encode: ((value: unknown) => Uint16Array | boolean) | undefined;
  let makeReader: PreparedTag['makeReader'];
  if (isBitArea(area)) {
    if (tag.type !== 'bool') throw new Error(`a ${area} holds one bit: type must be bool, not ${tag.type}`);
    registers = 1;
    if (writable) encode = namedEncoder(tag.name, encodeBit);
    makeReader = (block, offset) => bitReader(tag.name, block, offset);
  } else {
    const byteOrder = tag.byteOrder ?? mapping.byteOrder ?? device.byteOrder ?? 'ABCD';
    const codec = buildRegisterCodec({ ...tag, byteOrder });
    registers = codec.registers;
    if (writable) {
      if (codec.encode === undefined) {
        throw new Error('writing one bit of a register is not supported (it needs a read-modify-write)');
      }
      if (tag.scale === 0)
        throw new Error('a writable tag cannot have scale 0 (a write could not be inverted)');
      encode = namedEncoder(tag.name, codec.encode);
    }
    const where = `${area} ${address}, ${tag.type}${tag.type === 'string' || tag.type === 'bool' ? '' : ` ${byteOrder}`}`;
    makeReader = (block, offset) => registerReader(tag.name, where, block, offset, codec);
  }
  if (address + registers > 65536) {
    throw new Error(`${area} ${address} + ${registers} registers runs past address 65535`);
  }
  const compiled: CompiledModbusTag = {
    name: tag.name,
    area,
    address,
    type: tag.type,
    registers,
    ...(tag.unit !== undefined && { unit: tag.unit }),
    ...(tag.description !== undefined && { description: tag.description }),
    writable,
    publish: resolvePublishPolicy([tag.publish, mapping.publish, device.publish]),
    ...(encode !== undefined && { encode }),
  };
  return { tag: Object.freeze(compiled), item: { area, address, count: registers }, makeReader };
}

export function compileModbusMapping(
  mapping: ModbusMapping,
  device: ModbusDeviceOptions,
): CompiledModbusDevice {
  const context = `Modbus device "${device.name}"`;
  const limits = {
    maxRegisters: device.maxRegistersPerRead ?? MAX_REGISTERS_PER_READ,
    maxBits: device.maxBitsPerRead ?? MAX_BITS_PER_READ,
    maxGap: device.maxGap ?? DEFAULT_MAX_GAP,
  };

  const seen = new Set<string>();
  const prepared = mapping.tags.map((tag, index) => {
    const label = `${context}: tag "${tag.name}" (#${index + 1} in the mapping)`;
    if (seen.has(tag.name)) throw new Error(`${label}: the name is used twice; tag names must be unique`);
    seen.add(tag.name);
    let result: PreparedTag;
    try {
      result = prepareTag(tag, mapping, device);
    } catch (error) {
      throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
    }
    const limit = isBitArea(result.item.area) ? limits.maxBits : limits.maxRegisters;
    if (result.item.count > limit) {
      throw new Error(`${label}: needs ${result.item.count} registers but one read is limited to ${limit}`);
    }
    return result;
  });

  let planned: ReturnType<typeof planReads>;
  try {
    planned = planReads(
      prepared.map((p) => p.item),
      limits,
    );
  } catch (error) {
    throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
  }
  const { plan, placements } = planned;
  const tags = Object.freeze(prepared.map((p) => p.tag));
  const blockOf = placements.map((p) => p.block);
  const readers = prepared.map((p, i) => p.makeReader(placements[i]!.block, placements[i]!.offset));
  const names = tags.map((t) => t.name);
  const blockCount = plan.blocks.length;

  const decode = (reading: ModbusReading): TagSample[] => {
    const { ts, results } = reading;
    const out = new Array<TagSample>(readers.length);
    for (let i = 0; i < readers.length; i++) {
      const result = results[blockOf[i]!];
      if (result === undefined) {
        out[i] = badSample(
          names[i]!,
          ts,
          `no result for read block ${blockOf[i]} (reading has ${results.length} results, plan has ${blockCount} blocks)`,
        );
      } else if (!result.ok) {
        out[i] = badSample(names[i]!, ts, result.failure.message, result.failure.exception);
      } else {
        out[i] = readers[i]!(result, ts);
      }
    }
    return out;
  };
  return Object.freeze({ plan, tags, decode });
}
