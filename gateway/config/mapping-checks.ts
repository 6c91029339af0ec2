/**
 * Checks on a Modbus mapping that a JSON Schema cannot express: where a tag lives (area, address, register
 * count), which options make sense for its type, duplicate names and writable tags that overlap. Pure,
 * no I/O. Only tags that passed the schema are checked, so a tag with a bad type is not also reported
 * for everything that follows from it.
 */
import { Value } from '@sinclair/typebox/value';
import { resolveAddress } from '../../mappings/modbus/address.ts';
import { isBitArea, registerCount } from '../../mappings/modbus/types-info.ts';
import { type ModbusArea, type ModbusTag, ModbusTagSchema } from '../../mappings/schema.ts';
import { type Issue, pointerOf } from './problems.ts';

const LAST_ADDRESS = 65535;

/** A tag whose address resolved: the span it occupies (registers, or one bit in a coil/discrete area). */
export interface PlacedTag {
  readonly index: number;
  readonly tag: ModbusTag;
  readonly area: ModbusArea;
  readonly address: number;
  /** Registers (holding/input) or 1 (one bit of a coil/discrete area). */
  readonly count: number;
}

export interface MappingCheckResult {
  readonly issues: Issue[];
  /** Schema-valid tags with a resolved address, for checks that need the device (read limits). */
  readonly placed: PlacedTag[];
}

export function checkMapping(mapping: unknown): MappingCheckResult {
  const tags = (mapping as { tags?: unknown } | null)?.tags;
  if (!Array.isArray(tags)) return { issues: [], placed: [] };
  const issues = checkDuplicateNames(tags);
  const placed: PlacedTag[] = [];
  tags.forEach((tag: unknown, index) => {
    if (!Value.Check(ModbusTagSchema, tag)) return;
    const result = checkTag(tag, index);
    issues.push(...result.issues);
    if (result.placed !== undefined) placed.push(result.placed);
  });
  issues.push(...checkOverlappingWrites(placed));
  return { issues, placed };
}

function checkDuplicateNames(tags: readonly unknown[]): Issue[] {
  const firstIndex = new Map<string, number>();
  const issues: Issue[] = [];
  tags.forEach((tag: unknown, index) => {
    const name = (tag as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else {
      issues.push({
        pointer: pointerOf('tags', index, 'name'),
        message: `duplicate tag name "${name}": already used by tags[${first}]; tag names must be unique in a mapping`,
      });
    }
  });
  return issues;
}

type At = (field?: string) => string;

function checkTag(tag: ModbusTag, index: number): { issues: Issue[]; placed?: PlacedTag } {
  const at: At = (field) =>
    field === undefined ? pointerOf('tags', index) : pointerOf('tags', index, field);
  const issues = typeFieldIssues(tag, at);
  const resolved = resolveAddress(tag);
  if (typeof resolved === 'string') {
    const field =
      tag.ref !== undefined && tag.area === undefined && tag.address === undefined ? 'ref' : undefined;
    issues.push({ pointer: at(field), message: resolved });
    return { issues };
  }
  const { area, address } = resolved;
  if (isBitArea(area)) {
    issues.push(...bitAreaIssues(tag, area, at));
    return { issues, placed: { index, tag, area, address, count: 1 } };
  }
  issues.push(...registerAreaIssues(tag, area, at));
  const { type } = tag;
  const count = registerCount(type, tag.length ?? 1);
  const last = address + count - 1;
  if (last > LAST_ADDRESS) {
    issues.push({
      pointer: at(tag.ref !== undefined ? 'ref' : 'address'),
      message: `${type} at ${area} ${address} needs ${count} registers (${address}..${last}), past the last address ${LAST_ADDRESS}`,
    });
  }
  return { issues, placed: { index, tag, area, address, count } };
}

/** Fields that do not fit the tag's type, wherever it is. */
function typeFieldIssues(tag: ModbusTag, at: At): Issue[] {
  const issues: Issue[] = [];
  const { type } = tag;
  if (type === 'string' && tag.length === undefined) {
    issues.push({
      pointer: at('type'),
      message: 'type string needs "length": its size in registers (2 characters each)',
    });
  }
  if (type !== 'string') {
    for (const field of ['length', 'encoding', 'byteSwap'] as const) {
      if (tag[field] !== undefined)
        issues.push({ pointer: at(field), message: `"${field}" applies only to type string, not ${type}` });
    }
  }
  if (type === 'bool' || type === 'string') {
    for (const field of ['scale', 'offset', 'decimals'] as const) {
      if (tag[field] !== undefined)
        issues.push({ pointer: at(field), message: `"${field}" does not apply to type ${type}` });
    }
  }
  if (tag.writable === true && tag.scale === 0) {
    issues.push({
      pointer: at('scale'),
      message: 'a writable tag cannot have scale 0: a written value could not be converted back',
    });
  }
  return issues;
}

/** A tag on a coil or discrete input: one bit, bool only. */
function bitAreaIssues(tag: ModbusTag, area: ModbusArea, at: At): Issue[] {
  const issues: Issue[] = [];
  if (tag.type !== 'bool') {
    issues.push({
      pointer: at('type'),
      message: `type ${tag.type} cannot be in a ${area}: coils and discrete inputs hold one bit each, use type bool`,
    });
  }
  if (tag.bit !== undefined) {
    issues.push({
      pointer: at('bit'),
      message: `"bit" selects a bit of a holding/input register; a ${area} is already a single bit`,
    });
  }
  if (tag.writable === true && area === 'discrete') {
    issues.push({
      pointer: at('writable'),
      message: 'discrete inputs are read-only: only coils and holding registers are writable',
    });
  }
  return issues;
}

/** A tag in holding or input registers: bits of a register, and what can be written. */
function registerAreaIssues(tag: ModbusTag, area: ModbusArea, at: At): Issue[] {
  const issues: Issue[] = [];
  const { type } = tag;
  if (type === 'bool' && tag.bit === undefined) {
    issues.push({
      pointer: at('type'),
      message: `a bool in a ${area} register needs "bit": which bit, 0 (least significant) … 15`,
    });
  }
  if (type !== 'bool' && tag.bit !== undefined) {
    issues.push({ pointer: at('bit'), message: `"bit" applies only to type bool, not ${type}` });
  }
  if (tag.writable === true && area === 'input') {
    issues.push({
      pointer: at('writable'),
      message: 'input registers are read-only: only coils and holding registers are writable',
    });
  }
  if (tag.writable === true && type === 'bool') {
    issues.push({
      pointer: at('writable'),
      message:
        'writing one bit of a register is not supported (it would need a read-modify-write); use a coil or a whole register',
    });
  }
  return issues;
}

/**
 * Two writable tags on the same registers make a write through one silently change the other. Read-only
 * overlaps are fine (the same register read as a word and as a bit is common). Bits of one register
 * that differ do not overlap.
 */
function checkOverlappingWrites(placed: readonly PlacedTag[]): Issue[] {
  const writable = placed.filter((p) => p.tag.writable === true);
  const issues: Issue[] = [];
  writable.forEach((later, i) => {
    const earlier = writable.slice(0, i).find((other) => overlaps(other, later));
    if (earlier === undefined) return;
    issues.push({
      pointer: pointerOf('tags', later.index, later.tag.ref !== undefined ? 'ref' : 'address'),
      message:
        `overlapping writes: writable tag "${later.tag.name}" (${span(later)}) overlaps writable tag ` +
        `"${earlier.tag.name}" (tags[${earlier.index}], ${span(earlier)})`,
    });
  });
  return issues;
}

function overlaps(a: PlacedTag, b: PlacedTag): boolean {
  if (a.area !== b.area) return false;
  if (a.address > b.address + b.count - 1 || b.address > a.address + a.count - 1) return false;
  const bothBits = a.tag.bit !== undefined && b.tag.bit !== undefined;
  return !bothBits || a.tag.bit === b.tag.bit;
}

function span(p: PlacedTag): string {
  return p.count === 1 ? `${p.area} ${p.address}` : `${p.area} ${p.address}..${p.address + p.count - 1}`;
}
