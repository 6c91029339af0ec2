/**
 * The read planner: covers every item with the fewest Modbus requests. Pure and deterministic.
 * Items are sorted by area (coil, discrete, holding, input) then address; a neighbour joins the current
 * block when the unused gap before it is at most maxGap (registers; ×16 for bit areas, where a register's
 * worth of bits costs about the same on the wire) and the merged span stays within the per-request limit.
 * Identical and overlapping items share a block. Merging is greedy left to right, which keeps the plan
 * predictable: the same tags always give the same requests, whatever their order in the file.
 */
import { MODBUS_AREAS, type ModbusArea } from '../schema.ts';
import type { ReadBlock, ReadPlan } from './read-plan.ts';
import { isBitArea } from './types-info.ts';

export interface PlanItem {
  readonly area: ModbusArea;
  readonly address: number;
  /** Registers (holding/input) or bits (coil/discrete). */
  readonly count: number;
}

export interface PlanLimits {
  /** Registers per request, 1..125. */
  readonly maxRegisters: number;
  /** Bits per request, 1..2000. */
  readonly maxBits: number;
  /** Unused registers a merge may span, ≥ 0 (bit areas: ×16 bits). */
  readonly maxGap: number;
}

/** Where an item's data sits: block index in the plan and offset (registers or bits) from the block start. */
export interface Placement {
  readonly block: number;
  readonly offset: number;
}

export interface PlannedReads {
  readonly plan: ReadPlan;
  /** Index-aligned with the input items. */
  readonly placements: readonly Placement[];
}

/** Protocol limits (Modbus application protocol v1.1b3 §6.1–6.4): 125 registers, 2000 bits per read. */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

function checkLimit(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`read planner: ${name} must be an integer ${min}..${max}, got ${value}`);
  }
}

function describeItem(item: PlanItem, index: number): string {
  return `item ${index} (${item.area} ${item.address}, count ${item.count})`;
}

export function planReads(items: readonly PlanItem[], limits: PlanLimits): PlannedReads {
  checkLimit('maxRegisters', limits.maxRegisters, 1, MAX_REGISTERS_PER_READ);
  checkLimit('maxBits', limits.maxBits, 1, MAX_BITS_PER_READ);
  checkLimit('maxGap', limits.maxGap, 0, 65535);

  items.forEach((item, index) => {
    if (!MODBUS_AREAS.includes(item.area)) {
      throw new Error(`read planner: ${describeItem(item, index)} has an unknown area`);
    }
    const limit = isBitArea(item.area) ? limits.maxBits : limits.maxRegisters;
    if (!Number.isInteger(item.address) || item.address < 0 || item.address + item.count > 65536) {
      throw new Error(`read planner: ${describeItem(item, index)} lies outside addresses 0..65535`);
    }
    if (!Number.isInteger(item.count) || item.count < 1 || item.count > limit) {
      throw new Error(
        `read planner: ${describeItem(item, index)} needs 1..${limit} per read (the per-request limit)`,
      );
    }
  });

  const areaRank = (area: ModbusArea): number => MODBUS_AREAS.indexOf(area);
  // Longer items first at equal addresses, then input index: makes the block layout independent of input order.
  const order = items
    .map((_, index) => index)
    .sort((a, b) => {
      const x = items[a]!;
      const y = items[b]!;
      return areaRank(x.area) - areaRank(y.area) || x.address - y.address || y.count - x.count || a - b;
    });

  const blocks: { area: ModbusArea; start: number; end: number }[] = [];
  const placements: Placement[] = new Array(items.length);
  for (const index of order) {
    const item = items[index]!;
    const bitArea = isBitArea(item.area);
    const limit = bitArea ? limits.maxBits : limits.maxRegisters;
    const maxGap = bitArea ? limits.maxGap * 16 : limits.maxGap;
    const itemEnd = item.address + item.count;
    const current = blocks.at(-1);
    const joins =
      current !== undefined &&
      current.area === item.area &&
      item.address - current.end <= maxGap &&
      Math.max(current.end, itemEnd) - current.start <= limit;
    if (joins) {
      current.end = Math.max(current.end, itemEnd);
    } else {
      blocks.push({ area: item.area, start: item.address, end: itemEnd });
    }
    const blockIndex = blocks.length - 1;
    placements[index] = { block: blockIndex, offset: item.address - blocks[blockIndex]!.start };
  }

  const readBlocks: ReadBlock[] = blocks.map((b) => ({
    area: b.area,
    start: b.start,
    count: b.end - b.start,
  }));
  return { plan: { blocks: readBlocks }, placements };
}
