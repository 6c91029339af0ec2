/**
 * Salvage of a store LevelDB cannot open or read (store-recovery.ts has moved it aside): what can be read
 * from it is written into the fresh store, with every seq kept, so those messages are still published and
 * only what is really unreadable is lost (and reported as such by the seq ledger check).
 *
 * - Tables: LevelDB's repair (classic-level `repair`) rebuilds the MANIFEST and CURRENT from the table
 *   files, skipping blocks it cannot parse. It runs on a copy, so the moved-aside store stays byte for
 *   byte as it was found.
 * - Write-ahead logs: not given to the repair, which reads them without checksums (wal-reader.ts); they
 *   are read here with every record verified and replayed, in file order, on top of the tables. Live logs
 *   are always newer than the tables (LevelDB deletes a log only once its table is durable), so this is
 *   the order LevelDB itself would apply them in.
 *
 * Anything that fails here is logged and skipped: a failed salvage must not keep the gateway from
 * collecting new data, and the moved-aside store is still there.
 */
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import type { Logger } from '../log.ts';
import { describeError } from './errors.ts';
import { formatCount } from './format.ts';
import { MESSAGE_KEY_PREFIX } from './record-codec.ts';
import { type BatchOp, type Db, ENCODING } from './store-keys.ts';
import { readWal } from './wal-reader.ts';

const COPY_BATCH = 1000;
/** LevelDB's own files that the repair needs; logs are read separately, the rest is not data. */
const TABLE_SIDE = /^(\d+\.(ldb|sst)|MANIFEST-\d+|CURRENT)$/;
const LOG_FILE = /^(\d+)\.log$/;

export interface SalvageResult {
  /** Message records taken from the tables and from the logs (a message in both counts twice). */
  readonly fromTables: number;
  readonly fromLogs: number;
  /** Log bytes that did not verify and were skipped. */
  readonly damagedLogBytes: number;
}

export async function salvageInto(target: Db, aside: string, log: Logger): Promise<SalvageResult> {
  const fromTables = await salvageTables(target, aside, log);
  const { fromLogs, damagedLogBytes } = await replayLogs(target, aside, log);
  return { fromTables, fromLogs, damagedLogBytes };
}

async function salvageTables(target: Db, aside: string, log: Logger): Promise<number> {
  const work = `${aside}.salvage`;
  try {
    await rm(work, { recursive: true, force: true });
    await cp(aside, work, {
      recursive: true,
      filter: (source) => source === aside || TABLE_SIDE.test(source.slice(aside.length + 1)),
    });
    // `level` re-exports classic-level at runtime; its types omit the LevelDB-only static repair.
    await (Level as unknown as { repair(location: string): Promise<void> }).repair(work);
    const repaired: Db = new Level<Buffer, Buffer>(work, { ...ENCODING, createIfMissing: false });
    await repaired.open();
    try {
      return await copyAll(repaired, target);
    } finally {
      await repaired.close();
    }
  } catch (err) {
    log.error(
      { err, dir: aside },
      `queue store salvage: could not read the table files of ${aside} (${describeError(err)}); the messages in them are not recovered (the store is kept there)`,
    );
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Copies every key (messages, meta keys, quarantined records); returns the number of message records. */
async function copyAll(source: Db, target: Db): Promise<number> {
  let messages = 0;
  const iterator = source.iterator(ENCODING);
  try {
    for (
      let chunk = await iterator.nextv(COPY_BATCH);
      chunk.length > 0;
      chunk = await iterator.nextv(COPY_BATCH)
    ) {
      const ops: BatchOp[] = chunk.map(([key, value]) => ({ type: 'put', key, value }));
      messages += chunk.filter(([key]) => key[0] === MESSAGE_KEY_PREFIX).length;
      await target.batch(ops, ENCODING);
    }
  } finally {
    await iterator.close();
  }
  return messages;
}

async function replayLogs(
  target: Db,
  aside: string,
  log: Logger,
): Promise<{ fromLogs: number; damagedLogBytes: number }> {
  let fromLogs = 0;
  let damagedLogBytes = 0;
  let names: string[] = [];
  try {
    names = (await readdir(aside)).filter((name) => LOG_FILE.test(name));
  } catch {
    return { fromLogs, damagedLogBytes };
  }
  names.sort((a, b) => Number(LOG_FILE.exec(a)?.[1]) - Number(LOG_FILE.exec(b)?.[1]));
  for (const name of names) {
    try {
      const wal = readWal(await readFile(join(aside, name)));
      for (const ops of wal.batches) {
        fromLogs += ops.filter((op) => op.type === 'put' && op.key[0] === MESSAGE_KEY_PREFIX).length;
        await target.batch([...ops], ENCODING);
      }
      damagedLogBytes += wal.damagedBytes;
      if (wal.damagedBytes > 0) {
        log.error(
          { dir: aside, log: name, damagedBytes: wal.damagedBytes },
          `queue store salvage: ${formatCount(wal.damagedBytes)} bytes of the write-ahead log ${name} did not verify and were skipped (the file is kept in ${aside})`,
        );
      }
    } catch (err) {
      log.error(
        { err, dir: aside, log: name },
        `queue store salvage: could not replay the write-ahead log ${name} (${describeError(err)})`,
      );
    }
  }
  return { fromLogs, damagedLogBytes };
}
