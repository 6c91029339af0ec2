/**
 * What to do with a store LevelDB cannot open or read: never delete it (it may hold the only copy of hours
 * of plant data someone wants to salvage), move it aside and let the gateway start with a new queue, so a
 * bad disk block does not stop data collection. Which failures count as damage is decided here too.
 */
import { access, rename } from 'node:fs/promises';
import { describeError } from './errors.ts';

/**
 * Failures of the machine rather than of the store: moving the store aside would not help (the new one
 * would fail the same way) and would only hide a good store from the next start, so they stay fatal.
 */
const ENVIRONMENT =
  /No space left on device|Permission denied|Read-only file system|Too many open files|Disk quota exceeded/i;

export type OpenFailure = 'locked' | 'environment' | 'damaged';

/**
 * LevelDB's lock held by another process; the disk or the permissions; or else the store itself:
 * `Corruption`, an `IO error` reading a truncated table (`Invalid argument`), a missing file, a
 * `CURRENT` that is gone while its tables are not.
 */
export function openFailureKind(err: unknown): OpenFailure {
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 'LEVEL_LOCKED') return 'locked';
  }
  return ENVIRONMENT.test(describeError(err)) ? 'environment' : 'damaged';
}

/** Renames `dir` to `<dir>.corrupt-<timestamp>` (a free name) and returns the new path. */
export async function moveAside(dir: string, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '-');
  let target = `${dir}.corrupt-${stamp}`;
  for (let n = 2; await exists(target); n++) target = `${dir}.corrupt-${stamp}-${n}`;
  await rename(dir, target);
  return target;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
