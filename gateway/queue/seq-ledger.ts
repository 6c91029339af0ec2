/**
 * The seq ledger: a small file in the queue directory (`SEQS`), outside LevelDB on purpose. LevelDB keeps
 * its newest writes in a write-ahead log, and a damaged log takes them with it, including any key that
 * records a high-water mark. This file is written on its own (fsynced, replaced atomically), so after
 * any damage to the store it still says:
 * - `reserved`: the highest seq a process may have handed out. The next process starts above it, so no
 *   seq ever names two messages, whatever happened to the store.
 * - `closed`: true only when a clean close wrote it; every seq up to `reserved` was then stored, acked,
 *   dropped or counted as not queued. After a crash it is false and the seqs above the last stored one
 *   are reported as unstored (docs/delivery.md, "Seqs at a restart").
 * - `stored` (clean close only): the seqs still in the queue, as ranges. The next open compares them with
 *   what it finds: a seq missing from the store is a message lost to damage, reported and counted.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredSizes } from './stored-sizes.ts';

export const LEDGER_FILE = 'SEQS';
/** More ranges than this (a queue acked in a checkerboard) are not recorded: the check is then skipped. */
export const MAX_LEDGER_RANGES = 100_000;

export type SeqRange = readonly [from: number, to: number];

export interface SeqLedger {
  readonly reserved: number;
  readonly closed: boolean;
  readonly stored?: readonly SeqRange[] | undefined;
}

export type LedgerRead =
  | { readonly ledger: SeqLedger }
  | { readonly missing: true }
  | { readonly unreadable: string };

export async function readLedger(dir: string): Promise<LedgerRead> {
  let text: string;
  try {
    text = await readFile(join(dir, LEDGER_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { unreadable: (err as Error).message };
  }
  try {
    return { ledger: parseLedger(JSON.parse(text) as unknown) };
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
}

/** Replaces the ledger atomically and durably: a crash leaves the old file or the new one, never half. */
export async function writeLedger(dir: string, ledger: SeqLedger): Promise<void> {
  const path = join(dir, LEDGER_FILE);
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(`${JSON.stringify({ version: 1, ...ledger })}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The stored seqs as ranges, or undefined when there are more than MAX_LEDGER_RANGES. */
export function storedRanges(sizes: StoredSizes): SeqRange[] | undefined {
  const ranges: [number, number][] = [];
  let tooMany = false;
  sizes.forEachFromOldest((seq) => {
    const last = ranges.at(-1);
    if (last !== undefined && last[1] === seq - 1) {
      last[1] = seq;
      return true;
    }
    if (ranges.length === MAX_LEDGER_RANGES) {
      tooMany = true;
      return false;
    }
    ranges.push([seq, seq]);
    return true;
  });
  return tooMany ? undefined : ranges;
}

/** The seqs of `ranges` that `isPresent` does not find, as ranges. */
export function missingSeqs(ranges: readonly SeqRange[], isPresent: (seq: number) => boolean): SeqRange[] {
  const missing: [number, number][] = [];
  for (const [from, to] of ranges) {
    for (let seq = from; seq <= to; seq++) {
      if (isPresent(seq)) continue;
      const last = missing.at(-1);
      if (last !== undefined && last[1] === seq - 1) last[1] = seq;
      else missing.push([seq, seq]);
    }
  }
  return missing;
}

export function countSeqs(ranges: readonly SeqRange[]): number {
  return ranges.reduce((n, [from, to]) => n + to - from + 1, 0);
}

function parseLedger(value: unknown): SeqLedger {
  const v = value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || v.version !== 1) throw new Error('not a version 1 ledger');
  const { reserved, closed, stored } = v;
  if (!isSeq(reserved)) throw new Error(`"reserved" is ${JSON.stringify(reserved)}, expected a seq`);
  if (typeof closed !== 'boolean')
    throw new Error(`"closed" is ${JSON.stringify(closed)}, expected a boolean`);
  if (stored === undefined) return { reserved, closed };
  if (!Array.isArray(stored) || !stored.every(isRange))
    throw new Error('"stored" is not a list of [from, to]');
  return { reserved, closed, stored: stored as SeqRange[] };
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRange(value: unknown): value is SeqRange {
  return (
    Array.isArray(value) && value.length === 2 && isSeq(value[0]) && isSeq(value[1]) && value[0] <= value[1]
  );
}
