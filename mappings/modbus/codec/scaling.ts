/**
 * Engineering-unit conversion for numeric tags: published = raw × scale + offset, then rounded to
 * `decimals`. Built once per tag; returns undefined when the tag has nothing to apply, so the hot path
 * does not pay for an identity call.
 */
export interface Scaling {
  readonly scale?: number | undefined;
  readonly offset?: number | undefined;
  readonly decimals?: number | undefined;
}

/** Moves the decimal point of `value` by `places` through its shortest decimal text, not binary arithmetic. */
function shiftDecimal(value: number, places: number): number {
  const text = String(value);
  const e = text.indexOf('e');
  if (e === -1) return Number(`${text}e${places}`);
  return Number(`${text.slice(0, e)}e${Number(text.slice(e + 1)) + places}`);
}

/**
 * Rounds half away from zero on the value as printed, so 1.005 → 1.01 and -2.5 → -3 (plain
 * Math.round(1.005 * 100) gives 100 because 1.005 × 100 is 100.49999999999999 in binary).
 */
export function roundDecimals(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  const rounded = shiftDecimal(Math.round(shiftDecimal(Math.abs(value), decimals)), -decimals);
  // `+ 0` turns a -0 result into 0, which JSON and equality checks treat as the plain zero users expect.
  return value < 0 ? -rounded + 0 : rounded;
}

export function makeScaler(scaling: Scaling): ((raw: number) => number) | undefined {
  const scale = scaling.scale ?? 1;
  const offset = scaling.offset ?? 0;
  const decimals = scaling.decimals;
  const linear = scale !== 1 || offset !== 0;
  if (!linear && decimals === undefined) return undefined;
  const checked = (value: number): number => {
    // A huge raw value times a huge scale can overflow; Infinity cannot be published as JSON.
    if (!Number.isFinite(value)) throw new Error(`scaled value is not a finite number (${value})`);
    return value;
  };
  if (decimals === undefined) return (raw) => checked(raw * scale + offset);
  if (!linear) return (raw) => roundDecimals(raw, decimals);
  return (raw) => roundDecimals(checked(raw * scale + offset), decimals);
}

/** `readRaw` followed by the tag's scaling; `readRaw` itself when the tag has none (no identity call). */
export function scaledDecoder(
  readRaw: (regs: Uint16Array, offset: number) => number,
  scaling: Scaling,
): (regs: Uint16Array, offset: number) => number {
  const scaler = makeScaler(scaling);
  return scaler === undefined ? readRaw : (regs, offset) => scaler(readRaw(regs, offset));
}

/** The inverse for writes: raw = (value − offset) / scale. Decimals do not apply to writes. */
export function makeUnscaler(scaling: Scaling): ((value: number) => number) | undefined {
  const scale = scaling.scale ?? 1;
  const offset = scaling.offset ?? 0;
  if (scale === 1 && offset === 0) return undefined;
  if (scale === 0) {
    // Not thrown here: a read-only tag with scale 0 (a constant) is odd but harmless.
    return () => {
      throw new Error('scale 0 cannot be inverted for writes');
    };
  }
  return (value) => (value - offset) / scale;
}
