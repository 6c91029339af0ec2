/** The LevelDB handle type and the non-message keys of the queue's store (messages: record-codec.ts). */
import type { Level } from 'level';

export type Db = Level<Buffer, Buffer>;
export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export const ENCODING = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;
/** The last seq written, updated in every batch: seqs are never reused even after the queue was emptied. */
export const HIGH_WATER_KEY = Buffer.from('m:highWater');
/**
 * Where an earlier version kept its seq reservation; read at open so a store it left keeps its guarantee.
 * Reservations now live in the seq ledger (seq-ledger.ts), outside LevelDB.
 */
export const LEGACY_RESERVED_KEY = Buffer.from('m:reserved');
/** Undecodable records are moved here (kept for inspection, never published, not counted). */
export const QUARANTINE_PREFIX = 'x:';

export function seqValue(seq: number): Buffer {
  const value = Buffer.allocUnsafe(8);
  value.writeBigUInt64BE(BigInt(seq));
  return value;
}

export async function readSeq(db: Db, key: Buffer): Promise<number> {
  const value = await db.get(key, ENCODING);
  return value?.length === 8 ? Number(value.readBigUInt64BE(0)) : 0;
}
