import type { TagValue } from '../../../core/sample.ts';

/** Decodes one value from `regs` starting at `offset`; throws an Error whose message is the reason. */
export type RegisterDecoder = (regs: Uint16Array, offset: number) => TagValue;

/** Encodes a value for a write into registers in wire order; throws an Error whose message is the reason. */
export type RegisterEncoder = (value: unknown) => Uint16Array;

export interface RegisterCodec {
  /** Registers the value occupies. */
  readonly registers: number;
  readonly decode: RegisterDecoder;
  /** Absent where a write cannot be expressed alone (a single bit of a register needs read-modify-write). */
  readonly encode?: RegisterEncoder;
}

/** Describes a received value for error messages without dumping a whole object. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** A finite JS number from a write request, or an Error saying what arrived instead. */
export function toFiniteNumber(value: unknown, type: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`expected a finite number for ${type}, got ${describeValue(value)}`);
  }
  return value;
}

/** Rounds half away from zero to an integer (Math.round rounds -2.5 to -2). */
export function roundToInteger(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}
