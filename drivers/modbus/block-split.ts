/**
 * Finding the readable parts of a coalesced block that answered exception 02 (illegal data address):
 * the planner merged neighbouring tags across gaps, and many devices refuse a read that touches one
 * unmapped register. The block is split in halves along tag boundaries (its "atoms", so no request
 * starts inside a multi-register value), recursively, down to single tags. The layout found is kept by
 * the caller and reused on later polls, so the search runs once, not every poll.
 */
import type { BlockResult, ReadBlock, ReadFailure } from '../../mappings/modbus/read-plan.ts';

export interface AddressRange {
  /** Zero-based start address. */
  readonly start: number;
  readonly count: number;
}

export interface SplitLayout {
  /** Read with one request each, in address order. */
  readonly readable: readonly AddressRange[];
  /** Answer exception 02; their tags are reported bad with the exception kept. */
  readonly unreadable: readonly { readonly range: AddressRange; readonly failure: ReadFailure }[];
}

export type RangeReader = (range: AddressRange) => Promise<BlockResult>;

export type SplitOutcome =
  | { readonly ok: true; readonly layout: SplitLayout; readonly results: readonly BlockResult[] }
  /** A failure other than exception 02 (timeout, disconnect…) stopped the search; nothing is learnt. */
  | { readonly ok: false; readonly failure: ReadFailure };

/** Atoms: the block's tag extents, sorted, non-overlapping; without them every register is an atom. */
export async function splitBlock(
  block: ReadBlock,
  atoms: readonly AddressRange[] | undefined,
  read: RangeReader,
): Promise<SplitOutcome> {
  const units =
    atoms !== undefined && atoms.length > 0
      ? atoms
      : Array.from({ length: block.count }, (_, i) => ({ start: block.start + i, count: 1 }));
  const readable: AddressRange[] = [];
  const results: BlockResult[] = [];
  const unreadable: { range: AddressRange; failure: ReadFailure }[] = [];
  let stop: ReadFailure | undefined;

  const explore = async (lo: number, hi: number, known?: ReadFailure): Promise<void> => {
    if (stop !== undefined) return;
    const range = cover(units, lo, hi);
    const result = known === undefined ? await read(range) : ({ ok: false, failure: known } as const);
    if (result.ok) {
      readable.push(range);
      results.push(result);
      return;
    }
    if (result.failure.exception !== 2) {
      stop = result.failure;
      return;
    }
    if (hi - lo === 1) {
      unreadable.push({ range, failure: result.failure });
      return;
    }
    const mid = (lo + hi) >> 1;
    await explore(lo, mid);
    await explore(mid, hi);
  };

  await explore(0, units.length, {
    kind: 'exception',
    exception: 2,
    message: 'illegal data address',
  });
  if (stop !== undefined) return { ok: false, failure: stop };
  return { ok: true, layout: { readable, unreadable }, results };
}

/** Places the results of a layout's reads into one block-sized result (unreadable parts stay 0). */
export function assemble(
  block: ReadBlock,
  ranges: readonly AddressRange[],
  results: readonly BlockResult[],
): BlockResult {
  const registers = block.area === 'holding' || block.area === 'input';
  const out = registers ? new Uint16Array(block.count) : new Uint8Array(block.count);
  for (let i = 0; i < ranges.length; i++) {
    const result = results[i]!;
    if (!result.ok) return result;
    const values = 'registers' in result ? result.registers : result.bits;
    out.set(values, ranges[i]!.start - block.start);
  }
  return out instanceof Uint16Array ? { ok: true, registers: out } : { ok: true, bits: out };
}

function cover(units: readonly AddressRange[], lo: number, hi: number): AddressRange {
  const first = units[lo]!;
  const last = units[hi - 1]!;
  return { start: first.start, count: last.start + last.count - first.start };
}
