/**
 * The split units of each read block: the extents of the tags inside it, merged where they overlap
 * (bit tags sharing a register, two views of one value). Splitting along them means a split never asks
 * for half of a 32-bit value, which many devices refuse just like an unmapped register.
 */

import type { ReadPlan } from '../../mappings/modbus/read-plan.ts';
import type { ModbusArea } from '../../mappings/schema.ts';
import type { AddressRange } from './block-split.ts';

export interface TagExtent {
  readonly area: ModbusArea;
  readonly address: number;
  /** Registers (or 1 for a bit). */
  readonly registers: number;
}

export function atomsForPlan(plan: ReadPlan, tags: readonly TagExtent[]): AddressRange[][] {
  return plan.blocks.map((block) => {
    const end = block.start + block.count;
    const inside = tags
      .filter((t) => t.area === block.area && t.address >= block.start && t.address + t.registers <= end)
      .map((t) => ({ start: t.address, end: t.address + t.registers }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    const merged: { start: number; end: number }[] = [];
    for (const extent of inside) {
      const last = merged.at(-1);
      if (last !== undefined && extent.start < last.end) last.end = Math.max(last.end, extent.end);
      else merged.push({ ...extent });
    }
    return merged.map((m) => ({ start: m.start, count: m.end - m.start }));
  });
}
