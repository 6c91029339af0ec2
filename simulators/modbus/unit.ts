/**
 * One simulated Modbus unit (slave): the four data areas as flat typed arrays covering the whole 16-bit
 * address space, plus rules that make chosen address ranges answer with an exception (holes in the map,
 * busy or failed devices). Tests and the demo read and write the arrays directly.
 */
import type { ModbusArea } from '../../mappings/schema.ts';

export const ADDRESS_SPACE = 65_536;

/** Requests touching [start, start + count) of `area` (every area when omitted) answer with `code`. */
export interface ExceptionRule {
  readonly area?: ModbusArea;
  readonly start: number;
  readonly count: number;
  readonly code: number;
}

export class SimulatedUnit {
  /** One byte per coil, 0 or 1. */
  readonly coils = new Uint8Array(ADDRESS_SPACE);
  /** One byte per discrete input, 0 or 1. */
  readonly discrete = new Uint8Array(ADDRESS_SPACE);
  readonly holding = new Uint16Array(ADDRESS_SPACE);
  readonly input = new Uint16Array(ADDRESS_SPACE);
  /** Checked in order; the first rule overlapping a request decides its exception. */
  rules: ExceptionRule[] = [];

  /** The exception code for a request on [start, start + count) of `area`, or 0 when it may proceed. */
  exceptionFor(area: ModbusArea, start: number, count: number): number {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.area !== undefined && rule.area !== area) continue;
      if (start < rule.start + rule.count && rule.start < start + count) return rule.code;
    }
    return 0;
  }
}

/** The unit with this id from `units`, created on first use: both simulators (TCP and RTU) address units so. */
export function unitOf(units: Map<number, SimulatedUnit>, id: number): SimulatedUnit {
  let unit = units.get(id);
  if (unit === undefined) {
    unit = new SimulatedUnit();
    units.set(id, unit);
  }
  return unit;
}
