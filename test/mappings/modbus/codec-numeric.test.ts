import { describe, expect, it } from 'vitest';
import { buildRegisterCodec, normalizeByteOrder } from '../../../mappings/modbus/codec.ts';
import type { ByteOrder, DataType } from '../../../mappings/schema.ts';

const ORDERS: readonly ByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];

/** The 64-bit spelling of each order: it literally lists which value byte sits where on the wire. */
const PATTERN: Readonly<Record<ByteOrder, Record<number, string>>> = {
  ABCD: { 2: 'AB', 4: 'ABCD', 8: 'ABCDEFGH' },
  BADC: { 2: 'BA', 4: 'BADC', 8: 'BADCFEHG' },
  CDAB: { 2: 'AB', 4: 'CDAB', 8: 'GHEFCDAB' },
  DCBA: { 2: 'BA', 4: 'DCBA', 8: 'HGFEDCBA' },
};

/** Wire registers for a big-endian value (hex, A first) in the given order, straight from the pattern letters. */
function wire(bigEndianHex: string, order: ByteOrder): number[] {
  const bytes = Buffer.from(bigEndianHex, 'hex');
  const pattern = PATTERN[order][bytes.length]!;
  const wireBytes = [...pattern].map((letter) => bytes[letter.charCodeAt(0) - 65]!);
  const words: number[] = [];
  for (let i = 0; i < wireBytes.length; i += 2) words.push((wireBytes[i]! << 8) | wireBytes[i + 1]!);
  return words;
}

interface Vector {
  readonly type: DataType;
  readonly hex: string;
  readonly value: number | string;
}

const VECTORS: readonly Vector[] = [
  { type: 'int16', hex: '1234', value: 4660 },
  { type: 'int16', hex: 'fffe', value: -2 },
  { type: 'int16', hex: '8000', value: -32768 },
  { type: 'int16', hex: '7fff', value: 32767 },
  { type: 'uint16', hex: '0000', value: 0 },
  { type: 'uint16', hex: 'ffff', value: 65535 },
  { type: 'uint16', hex: 'a1b2', value: 0xa1b2 },
  { type: 'int32', hex: '12345678', value: 305419896 },
  { type: 'int32', hex: 'f8a432eb', value: -123456789 },
  { type: 'int32', hex: '80000000', value: -2147483648 },
  { type: 'int32', hex: '7fffffff', value: 2147483647 },
  { type: 'uint32', hex: 'ffffffff', value: 4294967295 },
  { type: 'uint32', hex: '12345678', value: 305419896 },
  { type: 'float32', hex: '42f6e979', value: 123.45600128173828 },
  { type: 'float32', hex: 'bfc00000', value: -1.5 },
  { type: 'float32', hex: '7f7fffff', value: 3.4028234663852886e38 },
  { type: 'float64', hex: '405edd2f1a9fbe77', value: 123.456 },
  { type: 'float64', hex: '81bac9a7b3b7302f', value: -2.5e-300 },
  { type: 'int64', hex: '001fffffffffffff', value: 9007199254740991 },
  { type: 'int64', hex: 'ffe0000000000001', value: -9007199254740991 },
  { type: 'int64', hex: '0020000000000001', value: '9007199254740993' },
  { type: 'int64', hex: '0102030405060708', value: '72623859790382856' },
  { type: 'int64', hex: 'eeddef0b82167eeb', value: '-1234567890123456789' },
  { type: 'int64', hex: '8000000000000000', value: '-9223372036854775808' },
  { type: 'int64', hex: 'ffffffffffffffff', value: -1 },
  { type: 'uint64', hex: 'ffffffffffffffff', value: '18446744073709551615' },
  { type: 'uint64', hex: '0102030405060708', value: '72623859790382856' },
  { type: 'uint64', hex: '0000000000000400', value: 1024 },
  { type: 'bcd16', hex: '1234', value: 1234 },
  { type: 'bcd16', hex: '9999', value: 9999 },
  { type: 'bcd32', hex: '12345678', value: 12345678 },
  { type: 'bcd32', hex: '00000901', value: 901 },
];

describe('numeric codec: known vectors for every type × byte order', () => {
  for (const vector of VECTORS) {
    for (const order of ORDERS) {
      const words = wire(vector.hex, order);
      it(`${vector.type} ${vector.hex} ${order} = [${words.map((w) => w.toString(16))}] ↔ ${vector.value}`, () => {
        const codec = buildRegisterCodec({ type: vector.type, byteOrder: order });
        expect(codec.registers).toBe(words.length);
        // Decode at a non-zero offset with neighbours, as inside a coalesced block.
        const block = Uint16Array.from([0xdead, ...words, 0xbeef]);
        expect(codec.decode(block, 1)).toBe(vector.value);
        expect([...codec.encode!(vector.value)]).toEqual(words);
      });
    }
  }

  it('pins the float32 123.456 vectors from the wire by hand', () => {
    const expected: Record<ByteOrder, number[]> = {
      ABCD: [0x42f6, 0xe979],
      CDAB: [0xe979, 0x42f6],
      BADC: [0xf642, 0x79e9],
      DCBA: [0x79e9, 0xf642],
    };
    for (const order of ORDERS) {
      const codec = buildRegisterCodec({ type: 'float32', byteOrder: order, decimals: 3 });
      expect(codec.decode(Uint16Array.from(expected[order]), 0)).toBe(123.456);
    }
  });

  it('pins the 64-bit word orders by hand', () => {
    const regs = (order: string) =>
      buildRegisterCodec({ type: 'uint64', byteOrder: order }).encode!('72623859790382856');
    expect([...regs('ABCD')]).toEqual([0x0102, 0x0304, 0x0506, 0x0708]);
    expect([...regs('CDAB')]).toEqual([0x0708, 0x0506, 0x0304, 0x0102]);
    expect([...regs('BADC')]).toEqual([0x0201, 0x0403, 0x0605, 0x0807]);
    expect([...regs('DCBA')]).toEqual([0x0807, 0x0605, 0x0403, 0x0201]);
  });

  it('accepts the 8-letter 64-bit aliases and decodes like their canonical order', () => {
    const words = Uint16Array.from([0x0708, 0x0506, 0x0304, 0x0102]);
    expect(buildRegisterCodec({ type: 'uint64', byteOrder: 'GHEFCDAB' }).decode(words, 0)).toBe(
      '72623859790382856',
    );
    expect(normalizeByteOrder('ABCDEFGH')).toBe('ABCD');
    expect(normalizeByteOrder('BADCFEHG')).toBe('BADC');
    expect(normalizeByteOrder('HGFEDCBA')).toBe('DCBA');
    expect(() => normalizeByteOrder('ABDC')).toThrow('unknown byte order "ABDC": expected one of ABCD, BADC');
  });
});

describe('numeric codec: errors', () => {
  it('rejects NaN and Infinity floats as not finite', () => {
    const f32 = buildRegisterCodec({ type: 'float32' });
    expect(() => f32.decode(Uint16Array.from([0x7fc0, 0x0000]), 0)).toThrow('not a finite number (NaN)');
    expect(() => f32.decode(Uint16Array.from([0xff80, 0x0000]), 0)).toThrow(
      'not a finite number (-Infinity)',
    );
    const f64 = buildRegisterCodec({ type: 'float64', byteOrder: 'DCBA' });
    expect(() => f64.decode(Uint16Array.from([0, 0, 0, 0xf07f]), 0)).toThrow(
      'not a finite number (Infinity)',
    );
  });

  it('rejects write values out of range, non-integers and wrong types', () => {
    expect(() => buildRegisterCodec({ type: 'uint16' }).encode!(65536)).toThrow(
      'number 65536 is out of range for uint16 (raw 65536, allowed 0..65535)',
    );
    expect(() => buildRegisterCodec({ type: 'int16' }).encode!(-32769)).toThrow('out of range for int16');
    expect(() => buildRegisterCodec({ type: 'int32' }).encode!(1.5)).toThrow(
      '1.5 is not an integer (type int32)',
    );
    expect(() => buildRegisterCodec({ type: 'uint32' }).encode!('7')).toThrow(
      'expected a finite number for uint32, got string "7"',
    );
    expect(() => buildRegisterCodec({ type: 'float32' }).encode!(1e39)).toThrow('out of range for float32');
    expect(() => buildRegisterCodec({ type: 'float64' }).encode!(Number.NaN)).toThrow(
      'expected a finite number',
    );
    expect(() => buildRegisterCodec({ type: 'uint64' }).encode!(-1)).toThrow('out of range for uint64');
    expect(() => buildRegisterCodec({ type: 'int64' }).encode!(2 ** 60)).toThrow(
      'send int64 values that large as a decimal string',
    );
    expect(() => buildRegisterCodec({ type: 'int64' }).encode!('12a')).toThrow('expected an integer');
    expect(() => buildRegisterCodec({ type: 'int64' }).encode!('9223372036854775808')).toThrow(
      'out of range for int64',
    );
  });

  it('accepts bigint write values for 64-bit types', () => {
    expect([...buildRegisterCodec({ type: 'int64' }).encode!(-2n)]).toEqual([0xffff, 0xffff, 0xffff, 0xfffe]);
  });
});

describe('scale, offset and decimals', () => {
  it('applies value × scale + offset, then rounds half away from zero', () => {
    const level = buildRegisterCodec({ type: 'uint16', scale: 0.01, decimals: 2 });
    expect(level.decode(Uint16Array.of(1234), 0)).toBe(12.34);
    const temp = buildRegisterCodec({ type: 'int16', scale: 0.1, offset: -40, decimals: 1 });
    expect(temp.decode(Uint16Array.of(0xfff6), 0)).toBe(-41);
    expect(temp.decode(Uint16Array.of(655), 0)).toBe(25.5);
    // 1.005 is 1.00499999999999989… in binary: naive rounding gives 1.00.
    const f64 = buildRegisterCodec({ type: 'float64', decimals: 2 });
    expect(f64.decode(buildRegisterCodec({ type: 'float64' }).encode!(1.005), 0)).toBe(1.01);
    expect(f64.decode(buildRegisterCodec({ type: 'float64' }).encode!(-1.005), 0)).toBe(-1.01);
    expect(f64.decode(buildRegisterCodec({ type: 'float64' }).encode!(-0.001), 0)).toBe(0);
    expect(f64.decode(buildRegisterCodec({ type: 'float64' }).encode!(1.5e-7), 0)).toBe(0);
    expect(
      buildRegisterCodec({ type: 'float64', decimals: 8 }).decode(
        buildRegisterCodec({ type: 'float64' }).encode!(1.5e-7),
        0,
      ),
    ).toBe(1.5e-7);
    expect(f64.decode(buildRegisterCodec({ type: 'float64' }).encode!(1e21), 0)).toBe(1e21);
  });

  it('rounds to integers with decimals 0 and leaves unscaled integers untouched', () => {
    const half = buildRegisterCodec({ type: 'float32', decimals: 0 });
    expect(half.decode(Uint16Array.from([0x4020, 0x0000]), 0)).toBe(3); // 2.5
    expect(half.decode(Uint16Array.from([0xc020, 0x0000]), 0)).toBe(-3); // -2.5
  });

  it('turns scaled 64-bit integers into numbers', () => {
    const total = buildRegisterCodec({ type: 'uint64', scale: 0.001, decimals: 3 });
    expect(total.decode(Uint16Array.from([0, 0, 0x0001, 0xe240]), 0)).toBe(123.456);
  });

  it('inverts scale and offset for writes, rounding integer types', () => {
    const speed = buildRegisterCodec({ type: 'uint16', scale: 0.1, decimals: 1 });
    expect([...speed.encode!(12.3)]).toEqual([123]);
    const temp = buildRegisterCodec({ type: 'int16', scale: 0.1, offset: -40 });
    expect([...temp.encode!(-41)]).toEqual([0xfff6]);
    expect(() => speed.encode!(6553.6)).toThrow('out of range for uint16 (raw 65536');
    const constant = buildRegisterCodec({ type: 'int16', scale: 0, offset: 5 });
    expect(constant.decode(Uint16Array.of(7), 0)).toBe(5);
    expect(() => constant.encode!(5)).toThrow('scale 0 cannot be inverted for writes');
  });

  it('rejects a scaled result that overflows', () => {
    const huge = buildRegisterCodec({ type: 'float64', scale: 1e300 });
    expect(() => huge.decode(buildRegisterCodec({ type: 'float64' }).encode!(1e300), 0)).toThrow(
      'scaled value is not a finite number (Infinity)',
    );
  });
});
