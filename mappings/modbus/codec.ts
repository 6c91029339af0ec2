/**
 * The value codec: turns a tag definition into a decoder and an encoder, chosen once at compile time so
 * the poll loop never switches on type names. Registers are 16-bit words as received (big-endian on the
 * wire); byte orders name where the value's bytes A (most significant) … land, see codec/byte-order.ts.
 */
import type { ModbusTag } from '../schema.ts';
import { buildBcdCodec } from './codec/bcd.ts';
import { buildRegisterBitCodec } from './codec/bits.ts';
import { type ByteOrderName, normalizeByteOrder } from './codec/byte-order.ts';
import { buildBigIntCodec, buildNumberCodec } from './codec/numeric.ts';
import { buildTextCodec } from './codec/text.ts';
import type { RegisterCodec } from './codec/types.ts';

export { decodeBcd, encodeBcd } from './codec/bcd.ts';
export { decodeBit, encodeBit } from './codec/bits.ts';
export { type ByteOrderName, normalizeByteOrder } from './codec/byte-order.ts';
export { bigIntToTagValue } from './codec/numeric.ts';
export { roundDecimals } from './codec/scaling.ts';
export type { RegisterCodec, RegisterDecoder, RegisterEncoder } from './codec/types.ts';

export type CodecSpec = Pick<
  ModbusTag,
  'type' | 'bit' | 'length' | 'encoding' | 'byteSwap' | 'scale' | 'offset' | 'decimals'
> & {
  /** Canonical order or 64-bit alias; default ABCD. */
  readonly byteOrder?: ByteOrderName | string | undefined;
};

/**
 * Builds the codec for a value held in holding/input registers. Coils and discrete inputs use
 * decodeBit/encodeBit instead. scale/offset/decimals apply to numeric types only (ignored for bool and
 * string). Throws an Error naming the problem when the spec cannot describe a register value.
 */
export function buildRegisterCodec(spec: CodecSpec): RegisterCodec {
  const order = normalizeByteOrder(spec.byteOrder ?? 'ABCD');
  const scaling = { scale: spec.scale, offset: spec.offset, decimals: spec.decimals };
  switch (spec.type) {
    case 'bool':
      if (spec.bit === undefined) {
        throw new Error('type bool in a register needs "bit" (0 = least significant … 15)');
      }
      return buildRegisterBitCodec(spec.bit, order);
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float32':
    case 'float64':
      return buildNumberCodec(spec.type, order, scaling);
    case 'int64':
    case 'uint64':
      return buildBigIntCodec(spec.type, order, scaling);
    case 'bcd16':
    case 'bcd32':
      return buildBcdCodec(spec.type, order, scaling);
    case 'string': {
      const length = spec.length;
      if (length === undefined || !Number.isInteger(length) || length < 1 || length > 125) {
        throw new Error(`type string needs "length" in registers, 1..125 (got ${String(length)})`);
      }
      return buildTextCodec({ length, encoding: spec.encoding ?? 'ascii', byteSwap: spec.byteSwap ?? false });
    }
    default:
      throw new Error(`unknown data type "${String((spec as { type: unknown }).type)}"`);
  }
}
