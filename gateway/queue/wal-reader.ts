/**
 * Reads a LevelDB write-ahead log (`NNNNNN.log`) with every record's checksum verified, for the salvage of
 * a store LevelDB cannot open (store-recovery.ts). LevelDB's own repair reads logs *without* checksums
 * (leveldb 1.20, repair.cc passes `false` for the reader's checksum flag despite the comment above it), so a damaged record could be
 * imported as a message with a garbled payload; reading the logs here keeps only what verifies.
 *
 * Written from LevelDB's documented formats (doc/log_format.md, write_batch.cc's layout comment):
 * - the file is a sequence of 32 KiB blocks; a block holds records, and a tail of fewer than 7 bytes is
 *   zero padding;
 * - a record: masked CRC-32C (4 bytes LE) of type + data, data length (2 bytes LE), type (1 = full,
 *   2 = first, 3 = middle, 4 = last fragment), then the data; a write batch may span fragments;
 * - a write batch: sequence number (8 bytes LE), entry count (4 bytes LE), then entries: tag 1 (put)
 *   key and value, or tag 0 (delete) key, each as a varint32 length followed by the bytes.
 */

const BLOCK_SIZE = 32_768;
const HEADER_SIZE = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
const CRC_MASK_DELTA = 0xa282ead8;

export type WalOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export interface WalContents {
  /** Write batches whose checksums verified, in log order. */
  readonly batches: readonly (readonly WalOp[])[];
  /** Bytes skipped because a record did not verify (or a fragment lost its neighbours). */
  readonly damagedBytes: number;
  /** Bytes of an incomplete record at the end of the file (a write cut short). */
  readonly truncatedBytes: number;
}

export function readWal(file: Buffer): WalContents {
  const batches: WalOp[][] = [];
  let damagedBytes = 0;
  let truncatedBytes = 0;
  let fragments: Buffer[] | undefined;
  const dropFragments = (): void => {
    if (fragments !== undefined) damagedBytes += fragments.reduce((n, f) => n + f.length, 0);
    fragments = undefined;
  };
  const complete = (data: Buffer): void => {
    const ops = parseBatch(data);
    if (ops === undefined) damagedBytes += data.length;
    else batches.push(ops);
  };

  for (let block = 0; block < file.length; block += BLOCK_SIZE) {
    const end = Math.min(block + BLOCK_SIZE, file.length);
    let at = block;
    while (end - at >= HEADER_SIZE) {
      const length = file.readUInt16LE(at + 4);
      const type = file[at + 6] ?? 0;
      if (type === 0 && length === 0) break; // zero padding (preallocated space): the rest of the block
      const dataEnd = at + HEADER_SIZE + length;
      if (dataEnd > end) {
        // Past the block: at the end of the file a write cut short, otherwise a damaged length field.
        if (end === file.length && end - block < BLOCK_SIZE) truncatedBytes += end - at;
        else damagedBytes += end - at;
        dropFragments();
        at = end;
        break;
      }
      const data = file.subarray(at + HEADER_SIZE, dataEnd);
      if (unmask(file.readUInt32LE(at)) !== crc32c(file.subarray(at + 6, dataEnd))) {
        // The length may be the damaged part: nothing more in this block can be trusted.
        damagedBytes += end - at;
        dropFragments();
        at = end;
        break;
      }
      at = dataEnd;
      if (type === FULL) {
        dropFragments();
        complete(data);
      } else if (type === FIRST) {
        dropFragments();
        fragments = [data];
      } else if ((type === MIDDLE || type === LAST) && fragments !== undefined) {
        fragments.push(data);
        if (type === LAST) {
          complete(Buffer.concat(fragments));
          fragments = undefined;
        }
      } else {
        damagedBytes += data.length + HEADER_SIZE;
        dropFragments();
      }
    }
    // A header cut short by the end of the file (a whole block's tail of < 7 bytes is padding).
    if (end === file.length && end - block < BLOCK_SIZE && end > at) truncatedBytes += end - at;
  }
  if (fragments !== undefined) {
    truncatedBytes += fragments.reduce((n, f) => n + f.length, 0);
    fragments = undefined;
  }
  return { batches, damagedBytes, truncatedBytes };
}

/** The ops of one write batch, or undefined when it does not parse (then none of it is used). */
function parseBatch(data: Buffer): WalOp[] | undefined {
  if (data.length < 12) return undefined;
  const count = data.readUInt32LE(8);
  const ops: WalOp[] = [];
  const at = { offset: 12 };
  for (let i = 0; i < count; i++) {
    const tag = data[at.offset++];
    const key = readSlice(data, at);
    if (key === undefined) return undefined;
    if (tag === 1) {
      const value = readSlice(data, at);
      if (value === undefined) return undefined;
      ops.push({ type: 'put', key, value });
    } else if (tag === 0) {
      ops.push({ type: 'del', key });
    } else {
      return undefined;
    }
  }
  return at.offset === data.length ? ops : undefined;
}

/** A varint32 length and that many bytes (copied: the file buffer is not kept). */
function readSlice(data: Buffer, at: { offset: number }): Buffer | undefined {
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (shift > 28 || at.offset >= data.length) return undefined;
    const byte = data[at.offset++] ?? 0;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (at.offset + length > data.length) return undefined;
  const slice = Buffer.from(data.subarray(at.offset, at.offset + length));
  at.offset += length;
  return slice;
}

function unmask(masked: number): number {
  const rot = (masked - CRC_MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum LevelDB uses; zlib's crc32 is the other polynomial. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
