/**
 * OPC UA built-in values → JSON TagValues, and StatusCodes → fieldbridge quality (issue 5). Pure and
 * free of node-opcua imports: it reads node-opcua's DataValue/Variant objects through the structural
 * types below, so it is table-tested without a server and loads without node-opcua.
 *
 * Rules, chosen once here:
 * - Int64/UInt64 (node-opcua: [high, low] 32-bit words) are exact: a number within ±(2^53−1), otherwise a
 *   decimal string, never rounded (the mapping layer's rule, core/sample.ts).
 * - Float/Double NaN or ±Infinity cannot be JSON: the tag is bad.
 * - DateTime → ISO 8601 string; ByteString → base64; LocalizedText → its text; Guid, NodeId, QualifiedName
 *   → their standard text; StatusCode values → the number. Arrays (and matrices, flattened) of those.
 * - A null String/ByteString is published as "" (OPC UA distinguishes null from empty; JSON consumers rarely do).
 * - StatusCode severity Good → quality good, Bad → bad, **Uncertain → bad**: a value the server itself
 *   doubts is never presented as good; the error text names the status and `code` keeps the number, so a
 *   consumer that wants uncertain values can still tell them apart. A Good code other than 0 (e.g.
 *   GoodClamped) is good with `code` kept.
 */
import type { TagSample, TagValue } from '../../core/sample.ts';

/** OPC UA Part 6 built-in type ids (node-opcua's DataType enum has the same numbers). */
export const BUILT_IN = Object.freeze({
  Null: 0,
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  Guid: 14,
  ByteString: 15,
  XmlElement: 16,
  NodeId: 17,
  ExpandedNodeId: 18,
  StatusCode: 19,
  QualifiedName: 20,
  LocalizedText: 21,
});

/** node-opcua VariantArrayType: Scalar 0, Array 1, Matrix 2. */
const SCALAR = 0;

export interface VariantLike {
  readonly dataType: number;
  readonly arrayType?: number;
  readonly value: unknown;
}

export interface StatusCodeLike {
  readonly value: number;
  readonly name?: string;
}

export interface DataValueLike {
  readonly value?: VariantLike | null;
  readonly statusCode?: StatusCodeLike | null;
  readonly sourceTimestamp?: Date | null;
}

export type Converted =
  | { readonly ok: true; readonly value: TagValue }
  | { readonly ok: false; readonly error: string };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function exactInteger(big: bigint): TagValue {
  return big > MAX_SAFE || big < -MAX_SAFE ? big.toString() : Number(big);
}

function toBigInt64(raw: unknown, signed: boolean): bigint | undefined {
  let big: bigint;
  if (Array.isArray(raw) && raw.length === 2) {
    const [high, low] = raw as [unknown, unknown];
    if (typeof high !== 'number' || typeof low !== 'number') return undefined;
    big = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  } else if (typeof raw === 'bigint') {
    big = raw;
  } else if (typeof raw === 'number' && Number.isInteger(raw)) {
    big = BigInt(raw);
  } else {
    return undefined;
  }
  return signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
}

function typeName(dataType: number): string {
  for (const [name, id] of Object.entries(BUILT_IN)) if (id === dataType) return name;
  return `built-in type ${dataType}`;
}

function describe(raw: unknown): string {
  if (raw === null || raw === undefined) return String(raw);
  if (typeof raw === 'object') return raw.constructor?.name ?? 'object';
  return `${typeof raw} ${String(raw)}`;
}

const NON_FINITE = Symbol('non-finite');
const UNSUPPORTED = Symbol('unsupported');

/** Converts one scalar; returns undefined when the raw value does not fit the declared type. */
function convertScalar(
  dataType: number,
  raw: unknown,
): TagValue | undefined | typeof NON_FINITE | typeof UNSUPPORTED {
  switch (dataType) {
    case BUILT_IN.Boolean:
      return typeof raw === 'boolean' ? raw : undefined;
    case BUILT_IN.SByte:
    case BUILT_IN.Byte:
    case BUILT_IN.Int16:
    case BUILT_IN.UInt16:
    case BUILT_IN.Int32:
    case BUILT_IN.UInt32:
      return typeof raw === 'number' && Number.isInteger(raw) ? raw : undefined;
    case BUILT_IN.Int64:
    case BUILT_IN.UInt64: {
      const big = toBigInt64(raw, dataType === BUILT_IN.Int64);
      return big === undefined ? undefined : exactInteger(big);
    }
    case BUILT_IN.Float:
    case BUILT_IN.Double:
      if (typeof raw !== 'number') return undefined;
      return Number.isFinite(raw) ? raw : NON_FINITE;
    case BUILT_IN.String:
    case BUILT_IN.XmlElement:
      return raw === null || raw === undefined ? '' : typeof raw === 'string' ? raw : undefined;
    case BUILT_IN.DateTime:
      if (!(raw instanceof Date) || Number.isNaN(raw.getTime())) return undefined;
      return raw.toISOString();
    case BUILT_IN.ByteString:
      if (raw === null || raw === undefined) return '';
      return raw instanceof Uint8Array
        ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
        : undefined;
    case BUILT_IN.LocalizedText: {
      if (raw === null || raw === undefined) return '';
      const text = (raw as { text?: unknown }).text;
      return typeof text === 'string' ? text : text === null || text === undefined ? '' : undefined;
    }
    case BUILT_IN.StatusCode: {
      const value = (raw as { value?: unknown } | null)?.value;
      return typeof value === 'number' ? value : undefined;
    }
    case BUILT_IN.Guid:
      return typeof raw === 'string' ? raw : undefined;
    case BUILT_IN.NodeId:
    case BUILT_IN.ExpandedNodeId:
    case BUILT_IN.QualifiedName:
      return raw !== null && typeof raw === 'object' ? String(raw) : undefined;
    default:
      return UNSUPPORTED;
  }
}

/** Converts a Variant (scalar or array) to a JSON-ready value, or says why it cannot. */
export function convertVariant(variant: VariantLike): Converted {
  const { dataType } = variant;
  if (dataType === BUILT_IN.Null) return { ok: false, error: 'the server sent no value (Null variant)' };
  const one = (raw: unknown): Converted => {
    const converted = convertScalar(dataType, raw);
    if (converted === NON_FINITE) {
      return { ok: false, error: `${typeName(dataType)} value ${String(raw)} is not a finite number` };
    }
    if (converted === UNSUPPORTED) {
      return { ok: false, error: `${typeName(dataType)} values are not supported` };
    }
    if (converted === undefined)
      return { ok: false, error: `${typeName(dataType)} expected, got ${describe(raw)}` };
    return { ok: true, value: converted };
  };
  if ((variant.arrayType ?? SCALAR) === SCALAR) return one(variant.value);
  const raw = variant.value;
  if (raw === null || raw === undefined) return { ok: true, value: [] };
  if (typeof (raw as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    return { ok: false, error: `array of ${typeName(dataType)} expected, got ${describe(raw)}` };
  }
  const out: TagValue[] = [];
  let i = 0;
  for (const element of raw as Iterable<unknown>) {
    const converted = one(element);
    if (!converted.ok) return { ok: false, error: `element [${i}]: ${converted.error}` };
    out.push(converted.value);
    i++;
  }
  return { ok: true, value: out };
}

export type Severity = 'good' | 'uncertain' | 'bad';

/** The two top bits of a StatusCode (Part 4, 7.39). */
export function severityOf(code: number): Severity {
  const bits = (code >>> 30) & 0b11;
  return bits === 0 ? 'good' : bits === 1 ? 'uncertain' : 'bad';
}

export function formatStatus(status: StatusCodeLike): string {
  const hex = `0x${(status.value >>> 0).toString(16).padStart(8, '0')}`;
  return status.name === undefined ? hex : `${status.name} (${hex})`;
}

export interface SampleOptions {
  /** Use the server's source timestamp when it sends one (default true). */
  readonly useSourceTimestamp: boolean;
  /** Scale/offset/decimals for numbers, chosen at compile time; undefined = none. */
  readonly scaler?: ((raw: number) => number) | undefined;
}

/** Scales numbers; a 64-bit integer beyond 2^53 (a decimal string) becomes an approximate scaled number. */
function scaleValue(value: TagValue, scaler: (raw: number) => number, bigAsString: boolean): TagValue {
  if (typeof value === 'number') return scaler(value);
  if (bigAsString && typeof value === 'string') return scaler(Number(value));
  if (Array.isArray(value)) return value.map((v: TagValue) => scaleValue(v, scaler, bigAsString));
  return value;
}

function bad(tag: string, ts: number, error: string, code?: number): TagSample {
  return code === undefined
    ? { tag, value: null, quality: 'bad', ts, error }
    : { tag, value: null, quality: 'bad', ts, error, code };
}

/** One DataValue (from a Read or a data-change notification) → the tag's sample. */
export function dataValueToSample(
  tag: string,
  dataValue: DataValueLike,
  receivedAt: number,
  options: SampleOptions,
): TagSample {
  const source = dataValue.sourceTimestamp;
  const ts =
    options.useSourceTimestamp &&
    source instanceof Date &&
    !Number.isNaN(source.getTime()) &&
    source.getTime() > 0
      ? source.getTime()
      : receivedAt;
  const status = dataValue.statusCode ?? { value: 0 };
  const code = status.value >>> 0;
  const severity = severityOf(code);
  if (severity !== 'good') return bad(tag, ts, `OPC UA status ${formatStatus(status)}`, code);
  const variant = dataValue.value;
  if (variant === null || variant === undefined)
    return bad(tag, ts, 'the server sent no value', code || undefined);
  const converted = convertVariant(variant);
  if (!converted.ok) return bad(tag, ts, `tag "${tag}": ${converted.error}`, code || undefined);
  let value = converted.value;
  if (options.scaler !== undefined) {
    try {
      const big = variant.dataType === BUILT_IN.Int64 || variant.dataType === BUILT_IN.UInt64;
      value = scaleValue(value, options.scaler, big);
    } catch (error) {
      return bad(tag, ts, `tag "${tag}": ${(error as Error).message}`, code || undefined);
    }
  }
  return code === 0 ? { tag, value, quality: 'good', ts } : { tag, value, quality: 'good', ts, code };
}
