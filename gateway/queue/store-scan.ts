/**
 * The open scan: one pass over every stored message, building what the queue keeps in memory (the stored
 * size of every seq, the byte total, the oldest message) without keeping any value. Records that do not
 * decode are moved under `x:` (kept for inspection, never published, not counted).
 */
import type { Logger } from '../log.ts';
import { describeError } from './errors.ts';
import { decodeValue, enqueuedAtOf, MESSAGE_KEY_END, MESSAGE_KEY_START, seqOfKey } from './record-codec.ts';
import { type BatchOp, type Db, ENCODING, QUARANTINE_PREFIX } from './store-keys.ts';
import { StoredSizes } from './stored-sizes.ts';

const SCAN_CHUNK = 1000;

export interface StoreScan {
  readonly sizes: StoredSizes;
  readonly bytes: number;
  readonly oldest: { readonly seq: number; readonly enqueuedAt: number } | undefined;
  /** The highest message key found, decodable or not (0 when none). */
  readonly lastSeq: number;
  /** Seqs whose records did not decode (now under `x:`). */
  readonly quarantined: ReadonlySet<number>;
}

/** Throws what LevelDB throws when a table cannot be read: the caller treats that as a damaged store. */
export async function scanStore(db: Db, log: Logger): Promise<StoreScan> {
  const sizes = new StoredSizes();
  let bytes = 0;
  let oldest: StoreScan['oldest'];
  let lastSeq = 0;
  const bad: [Buffer, Buffer, unknown][] = [];
  const iterator = db.iterator({ ...ENCODING, gte: MESSAGE_KEY_START, lt: MESSAGE_KEY_END });
  try {
    for (
      let chunk = await iterator.nextv(SCAN_CHUNK);
      chunk.length > 0;
      chunk = await iterator.nextv(SCAN_CHUNK)
    ) {
      for (const [key, value] of chunk) {
        const seq = seqOfKey(key);
        lastSeq = seq;
        try {
          decodeValue(seq, value);
        } catch (err) {
          bad.push([key, value, err]);
          continue;
        }
        sizes.add(seq, key.length + value.length);
        bytes += key.length + value.length;
        oldest ??= { seq, enqueuedAt: enqueuedAtOf(value) };
      }
    }
  } finally {
    await iterator.close();
  }
  if (bad.length > 0) await db.batch(quarantineOps(bad, log), ENCODING);
  return { sizes, bytes, oldest, lastSeq, quarantined: new Set(bad.map(([key]) => seqOfKey(key))) };
}

/** The ops that move undecodable records under `x:`, each logged at error level with its seq. */
export function quarantineOps(bad: readonly [Buffer, Buffer, unknown][], log: Logger): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const [key, value, err] of bad) {
    const seq = seqOfKey(key);
    log.error(
      { err, seq },
      `queue record ${seq} cannot be decoded (${describeError(err)}): skipped and kept under key "${QUARANTINE_PREFIX}${seq}"; the other messages are unaffected`,
    );
    ops.push({ type: 'del', key });
    ops.push({ type: 'put', key: Buffer.concat([Buffer.from(QUARANTINE_PREFIX), key]), value });
  }
  return ops;
}
