/**
 * Known Modbus register contents and the values they must publish, written down independently of the
 * gateway's codecs: each numeric vector is the value's big-endian bytes as hex (float32 1.5 = 3FC00000,
 * checked against Python's struct module when written) with the value a consumer must get, and the
 * registers served for a byte order are those bytes rearranged here by the standard's naming (A = most
 * significant byte): ABCD as is, BADC bytes swapped within each register, CDAB registers reversed, DCBA
 * every byte reversed (the 64-bit spellings ABCDEFGH / BADCFEHG / GHEFCDAB / HGFEDCBA are the same four).
 *
 * Two value sets (A and B) with the same layout, so that two units on one line are told apart. Every
 * data type, every byte order, bits of holding and input registers, coils, discrete inputs, strings
 * (ASCII, UTF-8, low byte first), BCD, scaling, and 64-bit integers on both sides of 2^53.
 */
import type { ExpectedTag } from './messages.ts';

export type ValueSet = 'A' | 'B';
type Area = 'coil' | 'discrete' | 'holding' | 'input';

/** What one unit serves: area → address → register word (0..65535) or bit (0/1). */
export interface RegisterImage {
  readonly holding: Map<number, number>;
  readonly input: Map<number, number>;
  readonly coil: Map<number, number>;
  readonly discrete: Map<number, number>;
}

export interface ModbusVectors {
  /** The tag-mapping file (JSON). */
  readonly mapping: { readonly byteOrder: string; readonly tags: readonly Record<string, unknown>[] };
  readonly image: RegisterImage;
  /** Tag name → what the subscriber must receive. */
  readonly expected: ReadonlyMap<string, ExpectedTag>;
}

interface NumericVector {
  readonly type: string;
  /** Big-endian bytes of the value, as hex, per value set. */
  readonly hex: Readonly<Record<ValueSet, string>>;
  readonly value: Readonly<Record<ValueSet, number | string>>;
}

const NUMERIC: readonly NumericVector[] = [
  { type: 'int16', hex: { A: 'CFC7', B: '7FFF' }, value: { A: -12345, B: 32767 } },
  { type: 'uint16', hex: { A: 'ABCD', B: '1234' }, value: { A: 43981, B: 4660 } },
  { type: 'int32', hex: { A: 'F8A432EB', B: '075BCD15' }, value: { A: -123456789, B: 123456789 } },
  { type: 'uint32', hex: { A: 'B2D05E00', B: 'DEADBEEF' }, value: { A: 3000000000, B: 3735928559 } },
  // float32 π is 3.1415927410125732 exactly as a double: what JSON must carry (no float32 rounding).
  { type: 'float32', hex: { A: '40490FDB', B: 'C0100000' }, value: { A: 3.1415927410125732, B: -2.25 } },
  {
    type: 'float64',
    hex: { A: '400921FB54442D18', B: 'C05EDD3A92A30553' },
    value: { A: Math.PI, B: -123.4567 },
  },
  // 64-bit: beyond ±(2^53−1) a decimal string, within it a number.
  {
    type: 'int64',
    hex: { A: 'EEDDEF0B82167EEB', B: 'FFE0000000000001' },
    value: { A: '-1234567890123456789', B: -9007199254740991 },
  },
  {
    type: 'uint64',
    hex: { A: 'AB54A98CEB1F0AD2', B: '001FFFFFFFFFFFFF' },
    value: { A: '12345678901234567890', B: 9007199254740991 },
  },
  { type: 'bcd16', hex: { A: '1234', B: '9876' }, value: { A: 1234, B: 9876 } },
  { type: 'bcd32', hex: { A: '12345678', B: '87654321' }, value: { A: 12345678, B: 87654321 } },
];

const ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;
/** The 64-bit spellings, used for int64 tags so that the aliases are exercised too. */
const ORDERS_64: Readonly<Record<(typeof ORDERS)[number], string>> = {
  ABCD: 'ABCDEFGH',
  BADC: 'BADCFEHG',
  CDAB: 'GHEFCDAB',
  DCBA: 'HGFEDCBA',
};

/** The registers for big-endian `bytes` in `order` (see the header). */
export function wordsInOrder(bytes: readonly number[], order: (typeof ORDERS)[number]): number[] {
  const words: [number, number][] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push([bytes[i] ?? 0, bytes[i + 1] ?? 0]);
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  const arranged = reverseWords ? words.reverse() : words;
  return arranged.map(([hi, lo]) => (swapBytes ? (lo << 8) | hi : (hi << 8) | lo));
}

function hexBytes(hex: string): number[] {
  return (hex.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16));
}

/** Text bytes (UTF-8, NUL-padded to `length` registers) as registers; low byte first with byteSwap. */
function textWords(text: string, length: number, byteSwap: boolean): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  if (bytes.length > length * 2) throw new Error(`"${text}" does not fit ${length} registers`);
  while (bytes.length < length * 2) bytes.push(0);
  return wordsInOrder(bytes, byteSwap ? 'BADC' : 'ABCD');
}

class Builder {
  readonly tags: Record<string, unknown>[] = [];
  readonly expected = new Map<string, ExpectedTag>();
  readonly image: RegisterImage = {
    holding: new Map(),
    input: new Map(),
    coil: new Map(),
    discrete: new Map(),
  };
  readonly #next: Record<Area, number> = { holding: 0, input: 0, coil: 0, discrete: 0 };

  /** A tag over `values` at the next free address of `area` (a gap of 1 after each, as in real maps). */
  add(area: Area, values: readonly number[], tag: Record<string, unknown>, expected: ExpectedTag): number {
    const address = this.#next[area];
    for (const [i, v] of values.entries()) this.image[area].set(address + i, v);
    this.#next[area] = address + values.length + 1;
    this.tags.push({ area, address, ...tag });
    this.expected.set(tag.name as string, expected);
    return address;
  }

  /** Like add, but addressed with a one-based Modicon reference ("40101" = holding 100). */
  addRef(
    ref: string,
    area: Area,
    address: number,
    values: readonly number[],
    tag: Record<string, unknown>,
    expected: ExpectedTag,
  ): void {
    if (address < this.#next[area]) throw new Error(`${ref}: address ${address} overlaps the tags before it`);
    for (const [i, v] of values.entries()) this.image[area].set(address + i, v);
    this.tags.push({ ref, ...tag });
    this.expected.set(tag.name as string, expected);
  }
}

const numberOrString = (v: number | string): ExpectedTag => ({
  value: v,
  type: typeof v === 'string' ? 'string' : 'number',
});

export function modbusVectors(set: ValueSet): ModbusVectors {
  const b = new Builder();
  for (const vector of NUMERIC) {
    for (const order of ORDERS) {
      const name = `${vector.type}_${order}`;
      const byteOrder = vector.type === 'int64' ? ORDERS_64[order] : order;
      const words = wordsInOrder(hexBytes(vector.hex[set]), order);
      b.add('holding', words, { name, type: vector.type, byteOrder }, numberOrString(vector.value[set]));
    }
  }
  // Input registers (FC4): the same decoding from the other register table.
  b.add(
    'input',
    wordsInOrder(hexBytes(set === 'A' ? 'F8A432EB' : '075BCD15'), 'ABCD'),
    { name: 'in_int32', type: 'int32' },
    numberOrString(set === 'A' ? -123456789 : 123456789),
  );
  b.add(
    'input',
    wordsInOrder(hexBytes(set === 'A' ? '40490FDB' : 'C0100000'), 'CDAB'),
    { name: 'in_float32_CDAB', type: 'float32', byteOrder: 'CDAB' },
    numberOrString(set === 'A' ? 3.1415927410125732 : -2.25),
  );
  // The first integers a double cannot hold: decimal strings, never rounded.
  b.add(
    'holding',
    wordsInOrder(hexBytes(set === 'A' ? '0020000000000000' : '0020000000000001'), 'ABCD'),
    { name: 'uint64_2pow53', type: 'uint64' },
    numberOrString(set === 'A' ? '9007199254740992' : '9007199254740993'),
  );
  b.add(
    'holding',
    [0xffff, 0xffff, 0xffff, 0xffff],
    { name: 'uint64_max', type: 'uint64' },
    numberOrString('18446744073709551615'),
  );
  // Scaling: raw × scale + offset, rounded to decimals (12345 × 0.01 is 123.45000000000002 in doubles).
  b.add(
    'holding',
    [set === 'A' ? 12345 : 1],
    { name: 'scaled_pressure', type: 'uint16', scale: 0.01, decimals: 2, unit: 'bar' },
    { value: set === 'A' ? 123.45 : 0.01, type: 'number', unit: 'bar' },
  );
  b.add(
    'holding',
    [set === 'A' ? 0xfe0c : 1000],
    { name: 'scaled_temp', type: 'int16', scale: 0.1, offset: 100, decimals: 1, unit: '°C' },
    { value: set === 'A' ? 50 : 200, type: 'number', unit: '°C' },
  );
  // Strings: trailing NULs trimmed; UTF-8; a low-byte-first device.
  const ascii = set === 'A' ? 'fieldbridge' : 'acceptance';
  const utf8 = set === 'A' ? 'Zürich 25°C' : 'Ünit-2 µs';
  b.add(
    'holding',
    textWords(ascii, 6, false),
    { name: 'str_ascii', type: 'string', length: 6 },
    { value: ascii, type: 'string' },
  );
  b.add(
    'holding',
    textWords(utf8, 7, false),
    { name: 'str_utf8', type: 'string', length: 7, encoding: 'utf8' },
    { value: utf8, type: 'string' },
  );
  b.add(
    'holding',
    textWords(ascii, 6, true),
    { name: 'str_swapped', type: 'string', length: 6, byteSwap: true },
    { value: ascii, type: 'string' },
  );
  // Bits of registers (bit 0 = least significant): 0xA5C3 = 1010 0101 1100 0011.
  const word = set === 'A' ? 0xa5c3 : 0x5a3c;
  const bitOf = (w: number, bit: number) => ({ value: ((w >> bit) & 1) === 1, type: 'boolean' as const });
  const statusAddress = b.add('holding', [word], { name: 'hr_bit0', type: 'bool', bit: 0 }, bitOf(word, 0));
  for (const bit of [1, 2, 7, 14, 15]) {
    b.tags.push({ name: `hr_bit${bit}`, area: 'holding', address: statusAddress, type: 'bool', bit });
    b.expected.set(`hr_bit${bit}`, bitOf(word, bit));
  }
  const inputWord = set === 'A' ? 0x8001 : 0x7ffe;
  const inputAddress = b.add(
    'input',
    [inputWord],
    { name: 'ir_bit0', type: 'bool', bit: 0 },
    bitOf(inputWord, 0),
  );
  b.tags.push({ name: 'ir_bit15', area: 'input', address: inputAddress, type: 'bool', bit: 15 });
  b.expected.set('ir_bit15', bitOf(inputWord, 15));
  // Coils and discrete inputs, past a byte boundary of the FC1/FC2 bit packing.
  const coils = set === 'A' ? [1, 0, 1, 1, 0, 0, 0, 0, 0, 1] : [0, 1, 0, 0, 1, 1, 1, 1, 1, 0];
  for (const [i, bit] of coils.entries()) b.image.coil.set(i, bit);
  for (const i of [0, 1, 2, 9]) {
    b.tags.push({ name: `coil${i}`, area: 'coil', address: i, type: 'bool' });
    b.expected.set(`coil${i}`, { value: coils[i] === 1, type: 'boolean' });
  }
  const discrete = set === 'A' ? [1, 0, 0, 1] : [0, 1, 1, 0];
  for (const [i, bit] of discrete.entries()) b.image.discrete.set(i, bit);
  for (const i of [0, 1, 2, 3]) {
    b.tags.push({ name: `di${i}`, area: 'discrete', address: i, type: 'bool' });
    b.expected.set(`di${i}`, { value: discrete[i] === 1, type: 'boolean' });
  }
  // Modicon references: "40501" is holding 500, "10006" discrete input 5.
  b.addRef(
    '40501',
    'holding',
    500,
    [set === 'A' ? 777 : 888],
    { name: 'ref_holding', type: 'uint16' },
    numberOrString(set === 'A' ? 777 : 888),
  );
  b.addRef(
    '10006',
    'discrete',
    5,
    [set === 'A' ? 1 : 0],
    { name: 'ref_discrete', type: 'bool' },
    { value: set === 'A', type: 'boolean' },
  );
  return { mapping: { byteOrder: 'ABCD', tags: b.tags }, image: b.image, expected: b.expected };
}
