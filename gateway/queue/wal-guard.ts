/**
 * Makes LevelDB's silent write-ahead-log recovery loud and non-destructive.
 *
 * A stopped gateway's newest messages sit in LevelDB's log (`NNNNNN.log`) until a compaction moves them
 * into a table. When a record of that log is damaged, LevelDB's recovery (paranoid_checks off, the
 * default) drops the damaged block, notes "(ignoring error) …/000003.log: dropping 16205 bytes;
 * Corruption: checksum mismatch" in its own LOG file, opens successfully and then deletes the damaged
 * log: messages are gone, nothing is reported, and the evidence is deleted.
 *
 * paranoid_checks would make that recovery fail at open instead (our corrupt-store path then moves the
 * whole store aside, keeping every byte), but classic-level 3.0.0 does not expose it: its db_open reads
 * only createIfMissing, errorIfExists, compression, multithreading and five size options
 * (node_modules/classic-level/binding.cc, `db_open`). So the queue guards the open itself:
 * 1. before opening, copy the `*.log` files aside (small: one or two write buffers, 4 MiB each), with
 *    `CURRENT` and the MANIFEST, which a successful open replaces too: if the store then turns out
 *    damaged, the copy and the moved-aside store together hold every file as it was found;
 * 2. after opening, read LevelDB's `LOG`, which LevelDB starts afresh at every open (the previous one
 *    becomes LOG.old), so everything in it was written by this open;
 * 3. if it reports dropped bytes or corruption (or the seq ledger finds stored messages missing: a log
 *    cut short, which LevelDB does not report), keep the copy as `<dir>.corrupt-<timestamp>-wal` (never
 *    deleted) and log an error naming the bytes lost and that path; otherwise delete the copy.
 * store-recovery.ts drives the steps.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { formatCount } from './format.ts';

/** A LevelDB LOG line that means recovery lost or skipped data ("Corruption: " is Status::ToString's prefix). */
const DAMAGE_LINE = /dropping \d+ bytes|Corruption: /;
const DROPPED_BYTES = /dropping (\d+) bytes/;
/** What a successful open rewrites or deletes: the logs (replayed into a table), CURRENT and MANIFEST. */
const COPIED = /^(\d+\.log|CURRENT|MANIFEST-\d+)$/;

export interface WalDamage {
  readonly droppedBytes: number;
  /** LevelDB's own lines about the damage, as written in its LOG file. */
  readonly lines: readonly string[];
}

export class WalGuard {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #stamp: string;
  /** Where the copy of the log files is, or undefined when there was nothing to copy (or copying failed). */
  #copy: string | undefined;

  private constructor(dir: string, log: Logger, stamp: string) {
    this.#dir = dir;
    this.#log = log;
    this.#stamp = stamp;
  }

  /** Copies `dir`'s write-ahead logs aside; call before LevelDB opens `dir`. */
  static async before(dir: string, log: Logger, now: number): Promise<WalGuard> {
    const guard = new WalGuard(dir, log, timestamp(now));
    await guard.#copyLogs();
    return guard;
  }

  /** Call once LevelDB has opened `dir`: the damage its recovery reported in its LOG file, if any. */
  async inspect(): Promise<WalDamage | undefined> {
    return this.#readDamage();
  }

  /**
   * Keeps the copy as `<dir>.corrupt-<timestamp>-wal` (damage, or messages missing after the open) and
   * returns its path, or undefined when no copy could be made.
   */
  async keep(): Promise<string | undefined> {
    return this.#keepCopy();
  }

  /** Logs the damage LevelDB reported, naming the kept copy. */
  report(damage: WalDamage, kept: string | undefined): void {
    const where =
      kept === undefined
        ? 'no copy of the damaged log could be kept (see the warning above)'
        : `a copy of the log files as they were before the open is kept in ${kept} for salvage`;
    this.#log.error(
      { dir: this.#dir, droppedBytes: damage.droppedBytes, leveldb: damage.lines, walCopy: kept },
      `queue store ${this.#dir}: corrupt write-ahead log; LevelDB dropped ${formatCount(damage.droppedBytes)} bytes of it at open (${damage.lines.join(' | ')}), so messages stored before the restart are missing from the queue; ${where}`,
    );
  }

  /** Deletes the copy: nothing was lost, or the store itself is kept (moved aside) with its logs intact. */
  async discard(): Promise<void> {
    const copy = this.#copy;
    if (copy !== undefined) {
      await rm(copy, { recursive: true, force: true }).catch((err: unknown) =>
        this.#log.warn(
          { err },
          `queue store ${this.#dir}: could not delete the write-ahead log copy ${copy}`,
        ),
      );
    }
    this.#copy = undefined;
  }

  async #copyLogs(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((name) => COPIED.test(name));
    } catch {
      return; // a new store: nothing to recover
    }
    if (!names.some((name) => name.endsWith('.log'))) return;
    const copy = `${this.#dir}.wal-check-${this.#stamp}`;
    try {
      await mkdir(copy, { recursive: true });
      for (const name of names) await copyFile(join(this.#dir, name), join(copy, name));
      this.#copy = copy;
    } catch (err) {
      // No space for the copy must not stop the gateway: the check below still reports any damage.
      await rm(copy, { recursive: true, force: true }).catch(() => undefined);
      this.#log.warn(
        { err, dir: this.#dir },
        `queue store ${this.#dir}: could not copy the write-ahead log aside before opening (${(err as Error).message}); if it is damaged, the damage is reported but the damaged part cannot be kept`,
      );
    }
  }

  async #readDamage(): Promise<WalDamage | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.#dir, 'LOG'), 'utf8');
    } catch {
      return undefined; // LevelDB could not create its info log; it then logs nowhere
    }
    const lines = text.split('\n').filter((line) => DAMAGE_LINE.test(line));
    if (lines.length === 0) return undefined;
    const droppedBytes = lines.reduce((sum, line) => sum + Number(DROPPED_BYTES.exec(line)?.[1] ?? 0), 0);
    // LevelDB prefixes each line with a timestamp and thread id; the message is what helps the reader.
    return { droppedBytes, lines: lines.map((line) => line.replace(/^\S+ \S+ /, '').trim()) };
  }

  async #keepCopy(): Promise<string | undefined> {
    const copy = this.#copy;
    if (copy === undefined) return undefined;
    const kept = `${this.#dir}.corrupt-${this.#stamp}-wal`;
    try {
      await rename(copy, kept);
    } catch (err) {
      this.#log.warn(
        { err },
        `queue store ${this.#dir}: could not rename ${copy} to ${kept}; the copy stays there`,
      );
      return copy;
    }
    this.#copy = undefined;
    return kept;
  }
}

function timestamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '-');
}
