import type { ModbusArea, ModbusTag } from '../schema.ts';

/**
 * Modicon one-based references: the leading digit names the area, the rest is the one-based register
 * number. Five digits ("40001"…"49999") or six ("400001"…"465536"). Only accepted through the explicit
 * `ref` field, so a plain `address` is never ambiguous: it is always a zero-based protocol offset.
 */
const AREA_BY_DIGIT: Readonly<Record<string, ModbusArea>> = {
  '0': 'coil',
  '1': 'discrete',
  '3': 'input',
  '4': 'holding',
};

export interface ResolvedAddress {
  readonly area: ModbusArea;
  readonly address: number;
}

/** Parses a Modicon reference; returns a reason string when it is not one. */
export function parseModiconRef(ref: string): ResolvedAddress | string {
  if (!/^[0134][0-9]{4,5}$/.test(ref)) {
    return `"${ref}" is not a Modicon reference: expected 5 or 6 digits starting with 0, 1, 3 or 4 (e.g. "40001")`;
  }
  const area = AREA_BY_DIGIT[ref[0] ?? ''];
  const oneBased = Number(ref.slice(1));
  const max = ref.length === 5 ? 9999 : 65536;
  if (area === undefined || oneBased < 1 || oneBased > max) {
    return `"${ref}" is out of range: the register number after the area digit must be 1..${max}`;
  }
  return { area, address: oneBased - 1 };
}

/** The area and zero-based address of a tag, from `area`+`address` or from `ref`. */
export function resolveAddress(tag: Pick<ModbusTag, 'area' | 'address' | 'ref'>): ResolvedAddress | string {
  if (tag.ref !== undefined) {
    if (tag.area !== undefined || tag.address !== undefined) {
      return 'give either "ref" or "area" + "address", not both';
    }
    return parseModiconRef(tag.ref);
  }
  if (tag.area === undefined || tag.address === undefined) {
    return 'missing address: give "area" and "address" (zero-based), or "ref" (e.g. "40001")';
  }
  return { area: tag.area, address: tag.address };
}
