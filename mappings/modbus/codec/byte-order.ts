/**
 * Byte/word orders, reduced to two independent choices made once at compile time:
 * - reverse: the register words arrive least significant word first (CDAB, DCBA);
 * - swapBytes: each register carries its two bytes low byte first (BADC, DCBA).
 * A gather copies a value's registers into a DataView as a big-endian byte sequence (A first), so every
 * numeric type then reads with one big-endian DataView getter; a scatter is the exact inverse.
 */
import { BYTE_ORDER_ALIASES, BYTE_ORDERS, type ByteOrder } from '../../schema.ts';

export type ByteOrderName = ByteOrder | keyof typeof BYTE_ORDER_ALIASES;

const ALIASES: Readonly<Record<string, ByteOrder>> = BYTE_ORDER_ALIASES;

/** The canonical 4-letter order for a canonical name or a 64-bit alias such as "GHEFCDAB". */
export function normalizeByteOrder(order: string): ByteOrder {
  if ((BYTE_ORDERS as readonly string[]).includes(order)) return order as ByteOrder;
  if (Object.hasOwn(ALIASES, order)) return ALIASES[order] as ByteOrder;
  const accepted = [...BYTE_ORDERS, ...Object.keys(ALIASES)].join(', ');
  throw new Error(`unknown byte order "${order}": expected one of ${accepted}`);
}

/** Copies `words` registers starting at `offset` into the view, big-endian. No bounds check: callers do it. */
export type WordGather = (regs: Uint16Array, offset: number) => void;

/** Reads the view's first `words` words back into registers in wire order (a new array: it goes on the wire). */
export type WordScatter = () => Uint16Array;

function orderTraits(order: ByteOrder): { reverse: boolean; swapBytes: boolean } {
  return {
    reverse: order === 'CDAB' || order === 'DCBA',
    swapBytes: order === 'BADC' || order === 'DCBA',
  };
}

export function makeGather(order: ByteOrder, words: number, view: DataView): WordGather {
  const { reverse, swapBytes } = orderTraits(order);
  const last = words - 1;
  // setUint16(…, littleEndian = true) writes the low byte first: exactly the per-register byte swap.
  if (reverse) {
    return (regs, offset) => {
      for (let i = 0; i < words; i++) view.setUint16(i * 2, regs[offset + last - i]!, swapBytes);
    };
  }
  return (regs, offset) => {
    for (let i = 0; i < words; i++) view.setUint16(i * 2, regs[offset + i]!, swapBytes);
  };
}

export function makeScatter(order: ByteOrder, words: number, view: DataView): WordScatter {
  const { reverse, swapBytes } = orderTraits(order);
  const last = words - 1;
  return () => {
    const out = new Uint16Array(words);
    for (let i = 0; i < words; i++) out[reverse ? last - i : i] = view.getUint16(i * 2, swapBytes);
    return out;
  };
}
