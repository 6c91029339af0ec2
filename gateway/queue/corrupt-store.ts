/**
 * What to do with a store LevelDB calls corrupt: never delete it (it may hold the only copy of hours of
 * plant data someone wants to salvage), move it aside and let the gateway start with an empty queue, so
 * a bad disk block does not stop data collection.
 */
import { access, rename } from 'node:fs/promises';
import type { Logger } from '../log.ts';

/** LevelDB corruption, whether reported directly or as the cause of a failed open. */
export function isCorruption(err: unknown): boolean {
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 'LEVEL_CORRUPTION') return true;
  }
  return false;
}

/** Renames `dir` to `<dir>.corrupt-<timestamp>` and returns the new path. */
export async function moveAside(dir: string, reason: unknown, log: Logger, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '-');
  let target = `${dir}.corrupt-${stamp}`;
  for (let n = 2; await exists(target); n++) target = `${dir}.corrupt-${stamp}-${n}`;
  await rename(dir, target);
  log.error(
    { err: reason, dir, movedTo: target },
    `queue store ${dir} is corrupt (${(reason as Error).message ?? String(reason)}): moved it aside to ${target}, where the old data is kept (nothing was deleted), and started an empty queue`,
  );
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
