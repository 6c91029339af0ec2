/**
 * The contract between the Modbus mapping layer and the Modbus drivers: the mapping compiles tags into a
 * ReadPlan (the fewest requests that cover every tag); a driver executes the plan and returns one
 * BlockResult per block, index-aligned. The driver never sees tags, types or byte orders.
 */
import type { ModbusArea } from '../schema.ts';

export interface ReadBlock {
  readonly area: ModbusArea;
  /** Zero-based start address. */
  readonly start: number;
  /** Registers (holding/input) or bits (coil/discrete). */
  readonly count: number;
}

export interface ReadPlan {
  readonly blocks: readonly ReadBlock[];
}

/** Why a block could not be read. `kind` drives quality and metrics; `exception` keeps the Modbus code. */
export interface ReadFailure {
  readonly kind: 'exception' | 'timeout' | 'disconnected' | 'protocol';
  readonly message: string;
  /** Modbus exception code (1 illegal function, 2 illegal data address, 3 illegal data value, 4 device failure, 6 busy, 0x0A/0x0B gateway). */
  readonly exception?: number;
}

export type BlockResult =
  /** Registers for holding/input blocks. */
  | { readonly ok: true; readonly registers: Uint16Array }
  /** One byte per bit (0/1) for coil/discrete blocks. */
  | { readonly ok: true; readonly bits: Uint8Array }
  | { readonly ok: false; readonly failure: ReadFailure };

/** One execution of a ReadPlan. */
export interface ModbusReading {
  /** Epoch ms when the poll started. */
  readonly ts: number;
  readonly results: readonly BlockResult[];
}
