import { describe, expect, it } from 'vitest';
import { type PlanItem, type PlanLimits, planReads } from '../../../mappings/modbus/planner.ts';

const LIMITS: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 10 };

const holding = (address: number, count = 1): PlanItem => ({ area: 'holding', address, count });

describe('planReads', () => {
  it('coalesces neighbours into one block and places each item', () => {
    const { plan, placements } = planReads([holding(0), holding(1, 2), holding(3, 4)], LIMITS);
    expect(plan.blocks).toEqual([{ area: 'holding', start: 0, count: 7 }]);
    expect(placements).toEqual([
      { block: 0, offset: 0 },
      { block: 0, offset: 1 },
      { block: 0, offset: 3 },
    ]);
  });

  it('merges a gap of exactly maxGap and splits at maxGap + 1', () => {
    // Item ends at 2; the next starts at 12: 10 unused registers.
    expect(planReads([holding(0, 2), holding(12)], LIMITS).plan.blocks).toEqual([
      { area: 'holding', start: 0, count: 13 },
    ]);
    expect(planReads([holding(0, 2), holding(13)], LIMITS).plan.blocks).toEqual([
      { area: 'holding', start: 0, count: 2 },
      { area: 'holding', start: 13, count: 1 },
    ]);
    expect(planReads([holding(0), holding(2)], { ...LIMITS, maxGap: 0 }).plan.blocks).toHaveLength(2);
    expect(planReads([holding(0), holding(1)], { ...LIMITS, maxGap: 0 }).plan.blocks).toHaveLength(1);
  });

  it('uses maxGap × 16 for bit areas', () => {
    const coil = (address: number): PlanItem => ({ area: 'coil', address, count: 1 });
    expect(planReads([coil(0), coil(161)], LIMITS).plan.blocks).toEqual([
      { area: 'coil', start: 0, count: 162 },
    ]);
    expect(planReads([coil(0), coil(162)], LIMITS).plan.blocks).toHaveLength(2);
  });

  it('splits registers exactly at 125', () => {
    const items = Array.from({ length: 126 }, (_, i) => holding(i));
    const { plan, placements } = planReads(items, LIMITS);
    expect(plan.blocks).toEqual([
      { area: 'holding', start: 0, count: 125 },
      { area: 'holding', start: 125, count: 1 },
    ]);
    expect(placements[124]).toEqual({ block: 0, offset: 124 });
    expect(placements[125]).toEqual({ block: 1, offset: 0 });
  });

  it('never splits a multi-register item across blocks', () => {
    // 0..122 then a float32 at 123..124 fits exactly; one at 124..125 would not.
    expect(planReads([holding(0, 123), holding(123, 2)], LIMITS).plan.blocks).toHaveLength(1);
    const { plan, placements } = planReads([holding(0, 124), holding(124, 2)], LIMITS);
    expect(plan.blocks).toEqual([
      { area: 'holding', start: 0, count: 124 },
      { area: 'holding', start: 124, count: 2 },
    ]);
    expect(placements[1]).toEqual({ block: 1, offset: 0 });
  });

  it('splits bits exactly at 2000', () => {
    // Inputs every 100 bits keep each gap within 160 bits, so only the size limit can split.
    const everyHundred = Array.from(
      { length: 20 },
      (_, i): PlanItem => ({ area: 'discrete', address: i * 100, count: 1 }),
    );
    const last = (address: number): PlanItem => ({ area: 'discrete', address, count: 1 });
    expect(planReads([...everyHundred, last(1999)], LIMITS).plan.blocks).toEqual([
      { area: 'discrete', start: 0, count: 2000 },
    ]);
    const { plan, placements } = planReads([...everyHundred, last(2000)], LIMITS);
    expect(plan.blocks).toEqual([
      { area: 'discrete', start: 0, count: 1901 },
      { area: 'discrete', start: 2000, count: 1 },
    ]);
    expect(placements[20]).toEqual({ block: 1, offset: 0 });
  });

  it('honours smaller device limits', () => {
    const items = Array.from({ length: 10 }, (_, i) => holding(i));
    expect(planReads(items, { ...LIMITS, maxRegisters: 4 }).plan.blocks.map((b) => b.count)).toEqual([
      4, 4, 2,
    ]);
  });

  it('lets identical and overlapping items share a block', () => {
    // A uint32 at 10, a bool bit in its first word, the same uint32 again, and an int16 inside it.
    const items = [holding(10, 2), holding(10), holding(10, 2), holding(11)];
    const { plan, placements } = planReads(items, LIMITS);
    expect(plan.blocks).toEqual([{ area: 'holding', start: 10, count: 2 }]);
    expect(placements.map((p) => p.offset)).toEqual([0, 0, 0, 1]);
  });

  it('never merges different areas, and orders blocks coil, discrete, holding, input', () => {
    const items: PlanItem[] = [
      { area: 'input', address: 0, count: 2 },
      { area: 'holding', address: 0, count: 1 },
      { area: 'discrete', address: 1, count: 1 },
      { area: 'coil', address: 1, count: 1 },
      { area: 'holding', address: 1, count: 1 },
    ];
    const { plan, placements } = planReads(items, LIMITS);
    expect(plan.blocks).toEqual([
      { area: 'coil', start: 1, count: 1 },
      { area: 'discrete', start: 1, count: 1 },
      { area: 'holding', start: 0, count: 2 },
      { area: 'input', start: 0, count: 2 },
    ]);
    expect(placements.map((p) => p.block)).toEqual([3, 2, 1, 0, 2]);
  });

  it('gives the same plan whatever the input order', () => {
    const items = [holding(50, 4), holding(0), holding(20, 2), holding(3)];
    const reversed = [...items].reverse();
    expect(planReads(reversed, LIMITS).plan).toEqual(planReads(items, LIMITS).plan);
    expect(planReads(items, LIMITS).plan.blocks).toEqual([
      { area: 'holding', start: 0, count: 4 },
      { area: 'holding', start: 20, count: 2 },
      { area: 'holding', start: 50, count: 4 },
    ]);
  });

  it('reads a 125-register string alone, next to other tags', () => {
    const { plan, placements } = planReads([holding(0), holding(1, 125), holding(126)], LIMITS);
    expect(plan.blocks).toEqual([
      { area: 'holding', start: 0, count: 1 },
      { area: 'holding', start: 1, count: 125 },
      { area: 'holding', start: 126, count: 1 },
    ]);
    expect(placements[1]).toEqual({ block: 1, offset: 0 });
  });

  it('returns an empty plan for no items', () => {
    expect(planReads([], LIMITS)).toEqual({ plan: { blocks: [] }, placements: [] });
  });

  it('rejects impossible items and limits', () => {
    expect(() => planReads([holding(0, 126)], LIMITS)).toThrow(
      'read planner: item 0 (holding 0, count 126) needs 1..125 per read',
    );
    expect(() => planReads([holding(65535, 2)], LIMITS)).toThrow('lies outside addresses 0..65535');
    expect(() => planReads([], { ...LIMITS, maxRegisters: 126 })).toThrow(
      'read planner: maxRegisters must be an integer 1..125, got 126',
    );
    expect(() => planReads([], { ...LIMITS, maxBits: 2001 })).toThrow('maxBits must be an integer 1..2000');
    expect(() => planReads([], { ...LIMITS, maxGap: -1 })).toThrow('maxGap must be an integer');
  });
});
