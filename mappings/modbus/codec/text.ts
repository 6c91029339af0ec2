/**
 * Strings: `length` registers, two characters each, high byte first unless `byteSwap` (the register
 * byte order settings do not apply: devices that swap string bytes say so per field). The value ends at
 * the first NUL, which covers both NUL-terminated and NUL-padded fields; spaces are kept as sent.
 *
 * "ascii" decodes with Latin-1 (ISO-8859-1), so bytes 0x80-0xFF become U+0080-U+00FF instead of an error:
 * many devices put °, µ or accented letters there, and losing the whole tag over one byte helps nobody.
 * "utf8" is strict: an invalid sequence is a decode error rather than silent U+FFFD replacement.
 */
import { describeValue, type RegisterCodec } from './types.ts';

export interface TextSpec {
  readonly length: number;
  readonly encoding: 'ascii' | 'utf8';
  readonly byteSwap: boolean;
}

export function buildTextCodec(spec: TextSpec): RegisterCodec {
  const { length, encoding, byteSwap } = spec;
  const capacity = length * 2;
  const bytes = Buffer.alloc(capacity);
  const hi = byteSwap ? 1 : 0;
  const lo = 1 - hi;
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  const fill = (regs: Uint16Array, offset: number): number => {
    for (let i = 0; i < length; i++) {
      const word = regs[offset + i]!;
      bytes[i * 2 + hi] = word >>> 8;
      bytes[i * 2 + lo] = word & 0xff;
    }
    const nul = bytes.indexOf(0);
    return nul === -1 ? capacity : nul;
  };
  const decode =
    encoding === 'utf8'
      ? (regs: Uint16Array, offset: number): string => {
          const end = fill(regs, offset);
          try {
            return utf8.decode(bytes.subarray(0, end));
          } catch {
            throw new Error(`invalid UTF-8 in string bytes ${bytes.subarray(0, end).toString('hex')}`);
          }
        }
      : (regs: Uint16Array, offset: number): string => bytes.toString('latin1', 0, fill(regs, offset));

  const toBytes = (value: string): Buffer => {
    if (encoding === 'utf8') return Buffer.from(value, 'utf8');
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0xff) {
        throw new Error(
          `character ${JSON.stringify(value[i])} at index ${i} does not fit one byte (ascii/Latin-1)`,
        );
      }
    }
    return Buffer.from(value, 'latin1');
  };
  const encode = (value: unknown): Uint16Array => {
    if (typeof value !== 'string') throw new Error(`expected a string, got ${describeValue(value)}`);
    // A NUL would end the string early on the next read: the write could never be read back.
    if (value.includes('\0')) throw new Error('string contains a NUL character');
    const data = toBytes(value);
    if (data.length > capacity) {
      throw new Error(`string is ${data.length} bytes, the field holds ${capacity} (${length} registers)`);
    }
    const out = new Uint16Array(length);
    for (let i = 0; i < length; i++) {
      const first = data[i * 2] ?? 0;
      const second = data[i * 2 + 1] ?? 0;
      out[i] = byteSwap ? (second << 8) | first : (first << 8) | second;
    }
    return out;
  };
  return { registers: length, decode, encode };
}
