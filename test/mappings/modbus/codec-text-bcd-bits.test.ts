import { describe, expect, it } from 'vitest';
import { buildRegisterCodec, decodeBit, encodeBit } from '../../../mappings/modbus/codec.ts';
import type { ByteOrder } from '../../../mappings/schema.ts';

const ORDERS: readonly ByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];

describe('string codec', () => {
  it('reads high byte first and trims NUL padding', () => {
    const codec = buildRegisterCodec({ type: 'string', length: 4 });
    expect(codec.registers).toBe(4);
    // "SN-42" then NULs
    expect(codec.decode(Uint16Array.from([0x534e, 0x2d34, 0x3200, 0x0000]), 0)).toBe('SN-42');
  });

  it('cuts at the first NUL even when garbage follows', () => {
    const codec = buildRegisterCodec({ type: 'string', length: 3 });
    expect(codec.decode(Uint16Array.from([0x4142, 0x0043, 0x4445]), 0)).toBe('AB');
  });

  it('uses the full field when there is no NUL and keeps spaces', () => {
    const codec = buildRegisterCodec({ type: 'string', length: 2 });
    expect(codec.decode(Uint16Array.from([0x4120, 0x4220]), 0)).toBe('A B ');
  });

  it('swaps the bytes of each register with byteSwap, ignoring byteOrder', () => {
    const codec = buildRegisterCodec({ type: 'string', length: 3, byteSwap: true, byteOrder: 'CDAB' });
    expect(codec.decode(Uint16Array.from([0x4e53, 0x342d, 0x0032]), 0)).toBe('SN-42');
    expect([...codec.encode!('SN-42')]).toEqual([0x4e53, 0x342d, 0x0032]);
  });

  it('maps ascii bytes above 0x7F through Latin-1', () => {
    const codec = buildRegisterCodec({ type: 'string', length: 2, encoding: 'ascii' });
    expect(codec.decode(Uint16Array.from([0xb043, 0x8000]), 0)).toBe('°C\u0080');
  });

  it('decodes utf8 and rejects invalid sequences', () => {
    const codec = buildRegisterCodec({ type: 'string', length: 3, encoding: 'utf8' });
    // "m³/h" = 6d c2 b3 2f 68
    expect(codec.decode(Uint16Array.from([0x6dc2, 0xb32f, 0x6800]), 0)).toBe('m³/h');
    expect(() => codec.decode(Uint16Array.from([0x41c2, 0x4100, 0]), 0)).toThrow(
      'invalid UTF-8 in string bytes 41c241',
    );
  });

  it('encodes with NUL padding and rejects what cannot be written', () => {
    const ascii = buildRegisterCodec({ type: 'string', length: 3 });
    expect([...ascii.encode!('ABC')]).toEqual([0x4142, 0x4300, 0x0000]);
    expect(() => ascii.encode!('ABCDEFG')).toThrow('string is 7 bytes, the field holds 6 (3 registers)');
    expect(() => ascii.encode!('A\0B')).toThrow('string contains a NUL character');
    expect(() => ascii.encode!('€')).toThrow('character "€" at index 0 does not fit one byte');
    expect(() => ascii.encode!(42)).toThrow('expected a string, got number 42');
    const utf8 = buildRegisterCodec({ type: 'string', length: 2, encoding: 'utf8' });
    expect(() => utf8.encode!('€€')).toThrow('string is 6 bytes, the field holds 4');
  });

  it('round-trips ascii, utf8 and swapped strings', () => {
    const cases = [
      { spec: { type: 'string' as const, length: 5 }, value: 'Pump-7' },
      { spec: { type: 'string' as const, length: 5, encoding: 'utf8' as const }, value: 'Öl 25°' },
      { spec: { type: 'string' as const, length: 4, byteSwap: true }, value: 'SN1234' },
      { spec: { type: 'string' as const, length: 2 }, value: '' },
      { spec: { type: 'string' as const, length: 125 }, value: 'x'.repeat(250) },
    ];
    for (const { spec, value } of cases) {
      const codec = buildRegisterCodec(spec);
      expect(codec.decode(codec.encode!(value), 0)).toBe(value);
    }
  });

  it('requires a length', () => {
    expect(() => buildRegisterCodec({ type: 'string' })).toThrow(
      'type string needs "length" in registers, 1..125 (got undefined)',
    );
  });
});

describe('BCD codec', () => {
  it('rejects a nibble above 9 and names it', () => {
    const bcd16 = buildRegisterCodec({ type: 'bcd16' });
    expect(() => bcd16.decode(Uint16Array.of(0x12c4), 0)).toThrow(
      'invalid BCD 0x12C4: digit 3 of 4 (most significant first) is 0xC, not 0-9',
    );
    const bcd32 = buildRegisterCodec({ type: 'bcd32', byteOrder: 'CDAB' });
    expect(() => bcd32.decode(Uint16Array.from([0x567f, 0x1234]), 0)).toThrow(
      'invalid BCD 0x1234567F: digit 8 of 8 (most significant first) is 0xF, not 0-9',
    );
  });

  it('applies the 16-bit byte order to bcd16', () => {
    expect(buildRegisterCodec({ type: 'bcd16', byteOrder: 'BADC' }).decode(Uint16Array.of(0x3412), 0)).toBe(
      1234,
    );
    expect(buildRegisterCodec({ type: 'bcd16', byteOrder: 'CDAB' }).decode(Uint16Array.of(0x1234), 0)).toBe(
      1234,
    );
  });

  it('rejects writes that are not 0..9999 / 0..99999999 integers', () => {
    expect(() => buildRegisterCodec({ type: 'bcd16' }).encode!(10000)).toThrow('allowed integers 0..9999');
    expect(() => buildRegisterCodec({ type: 'bcd32' }).encode!(-1)).toThrow('allowed integers 0..99999999');
    expect(() => buildRegisterCodec({ type: 'bcd16' }).encode!(1.5)).toThrow('out of range for bcd16');
    expect([...buildRegisterCodec({ type: 'bcd32' }).encode!(99999999)]).toEqual([0x9999, 0x9999]);
  });

  it('scales BCD values like other numbers', () => {
    expect(
      buildRegisterCodec({ type: 'bcd16', scale: 0.1, decimals: 1 }).decode(Uint16Array.of(0x0251), 0),
    ).toBe(25.1);
  });
});

describe('bool codec', () => {
  it('reads a register bit after the 16-bit byte order, 0 = least significant', () => {
    const word = Uint16Array.of(0x0108); // bits 3 and 8
    const bit = (n: number, byteOrder: string) =>
      buildRegisterCodec({ type: 'bool', bit: n, byteOrder }).decode(word, 0);
    expect([0, 3, 8, 15].map((n) => bit(n, 'ABCD'))).toEqual([false, true, true, false]);
    expect([0, 3, 8, 15].map((n) => bit(n, 'CDAB'))).toEqual([false, true, true, false]);
    // Byte-swapped: the register reads 0x0801, so bits 0 and 11.
    expect([0, 3, 11].map((n) => bit(n, 'BADC'))).toEqual([true, false, true]);
    expect([0, 3, 11].map((n) => bit(n, 'DCBA'))).toEqual([true, false, true]);
  });

  it('has no encoder for a register bit and requires a bit number', () => {
    expect(buildRegisterCodec({ type: 'bool', bit: 2 }).encode).toBeUndefined();
    expect(() => buildRegisterCodec({ type: 'bool' })).toThrow('type bool in a register needs "bit"');
    expect(() => buildRegisterCodec({ type: 'bool', bit: 16 })).toThrow('bit 16 is out of range 0..15');
  });

  it('reads and writes coil bits', () => {
    const bits = Uint8Array.from([0, 1, 0]);
    expect([0, 1, 2].map((i) => decodeBit(bits, i))).toEqual([false, true, false]);
    expect([true, false, 1, 0].map(encodeBit)).toEqual([true, false, true, false]);
    expect(() => encodeBit('on')).toThrow('expected true/false (or 1/0), got string "on"');
  });
});

describe('encoder ∘ decoder round trip for every type × byte order', () => {
  const SAMPLES = {
    int16: [-32768, -1, 0, 12345, 32767],
    uint16: [0, 1, 0xbeef, 65535],
    int32: [-2147483648, -70000, 0, 2147483647],
    uint32: [0, 0xdeadbeef, 4294967295],
    int64: ['-9223372036854775808', -9007199254740991, 0, 9007199254740991, '9223372036854775807'],
    uint64: [0, 9007199254740991, '9007199254740992', '18446744073709551615'],
    float32: [-3.4028234663852886e38, -1.5, 0, 0.10000000149011612, 3.4028234663852886e38],
    float64: [-Number.MAX_VALUE, -0.1, 0, Number.MIN_VALUE, 1e300],
    bcd16: [0, 1234, 9999],
    bcd32: [0, 12345678, 99999999],
  } as const;
  for (const order of ORDERS) {
    for (const [type, values] of Object.entries(SAMPLES)) {
      it(`${type} ${order}`, () => {
        const codec = buildRegisterCodec({ type: type as keyof typeof SAMPLES, byteOrder: order });
        for (const value of values) {
          const regs = codec.encode!(value);
          expect(regs.length).toBe(codec.registers);
          expect(codec.decode(regs, 0)).toBe(value);
        }
      });
    }
  }
});
