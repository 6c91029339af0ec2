/**
 * Opening the queue's LevelDB store in whatever state the previous process, or the disk, left it, so that
 * nothing is lost silently and no seq is handed out twice:
 *
 * 1. The seq ledger (seq-ledger.ts) is read first: it lives outside LevelDB and survives damage to it.
 * 2. A directory that holds LevelDB files is opened with create-if-missing off: with `CURRENT` deleted,
 *    LevelDB would otherwise create an empty store over the old tables and delete them.
 * 3. The write-ahead logs are copied aside before the open (wal-guard.ts): LevelDB's recovery drops a
 *    damaged log record silently and deletes the log.
 * 4. A store that cannot be opened or scanned (corruption, a truncated table, a lost MANIFEST or CURRENT)
 *    is moved aside whole, never deleted, and what can be read from it is salvaged into a new store with
 *    the same seqs (store-salvage.ts). Failures of the machine (disk full, permissions) stay fatal.
 * 5. The messages a clean close recorded as stored are compared with what the open found: every one
 *    missing is reported (error, with the seq ranges) and counted as lost, with the damaged files kept.
 * 6. Seqs continue above everything the ledger and the store say was handed out.
 */
import { readdir } from 'node:fs/promises';
import { Level } from 'level';
import type { Logger } from '../log.ts';
import { moveAside, openFailureKind } from './corrupt-store.ts';
import { describeError, QueueError } from './errors.ts';
import { formatBytes, formatCount } from './format.ts';
import { queueInUseError } from './owner-file.ts';
import {
  countSeqs,
  LEDGER_FILE,
  missingSeqs,
  readLedger,
  type SeqLedger,
  type SeqRange,
} from './seq-ledger.ts';
import { type Db, ENCODING, HIGH_WATER_KEY, LEGACY_RESERVED_KEY, readSeq } from './store-keys.ts';
import { salvageInto } from './store-salvage.ts';
import { type StoreScan, scanStore } from './store-scan.ts';
import { type WalDamage, WalGuard } from './wal-guard.ts';

/** Names LevelDB gives its own data files: any of them means the directory holds a store. */
const STORE_FILE = /^(\d+\.(log|ldb|sst)|MANIFEST-\d+|CURRENT)$/;
export const SALVAGE_SEQ_MARGIN = 1_000_000;
/** Ranges listed in a log line; the field and the count say the rest. */
const RANGES_IN_LOG = 20;

export interface StoreDamage {
  /** Where the unreadable store was moved (kept whole), when it had to be replaced. */
  readonly movedTo: string | undefined;
  /** Where the write-ahead logs as found before the open are kept, when the open lost part of them. */
  readonly walCopy: string | undefined;
  /** Messages stored at the last clean close that the open did not find: lost. */
  readonly lostMessages: number;
  readonly lostSeqs: readonly SeqRange[];
  /** False when the previous process did not close cleanly: what is missing cannot be told exactly. */
  readonly lossKnown: boolean;
}

export interface OpenedStore {
  readonly db: Db;
  readonly scan: StoreScan;
  /** The first seq to hand out: above everything an earlier process can have used. */
  readonly nextSeq: number;
  /** Seqs a process that did not close reserved above what it stored (docs/delivery.md). */
  readonly unstored: { readonly from: number; readonly to: number } | undefined;
  readonly damage: StoreDamage | undefined;
}

/** Logs what the open found: the seqs a process that did not close left unused, and the backlog. */
export function reportOpened(log: Logger, opened: OpenedStore): void {
  const { nextSeq, unstored } = opened;
  if (unstored !== undefined) {
    const { from, to } = unstored;
    log.warn(
      { unstoredFrom: from, unstoredTo: to, nextSeq },
      `queue was not closed by the previous process: seqs ${from}–${to} were reserved by it and are never used again; any it published are at the broker, the rest were not stored (see docs/delivery.md)`,
    );
  }
  const { count } = opened.scan.sizes;
  const { bytes } = opened.scan;
  log.info(
    { depth: count, bytes, nextSeq },
    count === 0
      ? 'queue opened: empty'
      : `queue opened: ${formatCount(count)} messages (${formatBytes(bytes)}) waiting from before the restart`,
  );
}

type Attempt =
  | { readonly db: Db; readonly scan: StoreScan; readonly walDamage: WalDamage | undefined }
  | { readonly reason: string; readonly logsReplayed: boolean; readonly walDamage: WalDamage | undefined };

export async function openStore(dir: string, log: Logger, now: number): Promise<OpenedStore> {
  const ledger = await loadLedger(dir, log);
  const storeFiles = await storeFilesIn(dir);
  const wal = await WalGuard.before(dir, log, now);
  const attempt = await openAsFound(dir, storeFiles, wal, log);

  let db: Db;
  let scan: StoreScan;
  let movedTo: string | undefined;
  let salvaged = 0;
  if ('db' in attempt) {
    ({ db, scan } = attempt);
  } else {
    // A failed open leaves the logs in the store (LevelDB deletes them only after a recovery), which is
    // kept whole; a failed scan comes after the recovery deleted them, so then the copy is the evidence.
    if (!attempt.logsReplayed) await wal.discard();
    movedTo = await moveStoreAside(dir, attempt.reason, now);
    db = new Level<Buffer, Buffer>(dir, ENCODING);
    await db.open();
    await salvageInto(db, movedTo, log);
    scan = await scanStore(db, log);
    salvaged = scan.sizes.count;
  }

  const written = Math.max(scan.lastSeq, await readSeq(db, HIGH_WATER_KEY));
  const reserved = Math.max(await readSeq(db, LEGACY_RESERVED_KEY), ledger?.reserved ?? 0);
  const top = Math.max(
    written,
    reserved,
    movedTo !== undefined && ledger === undefined ? unknownTop(written, now) : 0,
  );
  const unstored =
    ledger?.closed !== true && reserved > written ? { from: written + 1, to: reserved } : undefined;

  const lossKnown = ledger?.closed === true && ledger.stored !== undefined;
  const lostSeqs = lossKnown
    ? missingSeqs(ledger.stored ?? [], (seq) => scan.sizes.sizeOf(seq) > 0 || scan.quarantined.has(seq))
    : [];
  const lostMessages = countSeqs(lostSeqs);

  const walDamage = attempt.walDamage;
  const keepWal =
    walDamage !== undefined || lostMessages > 0 || ('reason' in attempt && attempt.logsReplayed);
  const walCopy = keepWal ? await wal.keep() : undefined;
  if (!keepWal) await wal.discard();
  if (walDamage !== undefined) wal.report(walDamage, walCopy);

  const loss = { lossKnown, lostSeqs, lostMessages, top };
  if (movedTo !== undefined && 'reason' in attempt) {
    reportReplaced(log, dir, { reason: attempt.reason, movedTo, salvaged, walCopy, ...loss });
  } else if (lostMessages > 0) {
    reportMissing(log, dir, { walCopy, ...loss });
  }
  const damaged = movedTo !== undefined || walDamage !== undefined || lostMessages > 0;
  return {
    db,
    scan,
    nextSeq: top + 1,
    unstored,
    damage: damaged ? { movedTo, walCopy, lostMessages, lostSeqs, lossKnown } : undefined,
  };
}

/**
 * Without a ledger the old high-water mark may have gone with the damaged part of the store. Seqs must
 * still never go back (consumers drop "duplicates" by seq), so they jump above any the old store can
 * have used, and consumers see the jump as the gap it is. Nothing salvaged: to epoch ms × 1000 (no gateway
 * appends 1000 messages per ms for decades). Salvaged messages kept their seqs, and the stored sizes span
 * from the oldest seq to the newest (stored-sizes.ts), so then by SALVAGE_SEQ_MARGIN: what can be lost
 * beyond the salvaged high-water is the unreadable part of the write-ahead log, at most two 4 MiB write
 * buffers, far fewer records than that.
 */
function unknownTop(written: number, now: number): number {
  return written === 0 ? now * 1000 : written + SALVAGE_SEQ_MARGIN;
}

/** Opens and scans the store as it is; returns why not when it is damaged, throws for anything else. */
async function openAsFound(dir: string, storeFiles: string[], wal: WalGuard, log: Logger): Promise<Attempt> {
  const db: Db = new Level<Buffer, Buffer>(dir, ENCODING);
  try {
    await db.open({ createIfMissing: storeFiles.length === 0 });
  } catch (err) {
    await db.close().catch(() => undefined);
    await wal.discard();
    await throwUnlessDamaged(dir, err);
    return { reason: damageReason(err, storeFiles), logsReplayed: false, walDamage: undefined };
  }
  const walDamage = await wal.inspect();
  try {
    return { db, scan: await scanStore(db, log), walDamage };
  } catch (err) {
    await db.close().catch(() => undefined);
    await throwUnlessDamaged(dir, err);
    return { reason: describeError(err), logsReplayed: true, walDamage };
  }
}

async function throwUnlessDamaged(dir: string, err: unknown): Promise<void> {
  const kind = openFailureKind(err);
  if (kind === 'locked') throw await queueInUseError(dir, (err as { cause?: unknown }).cause ?? err);
  if (kind === 'environment') {
    throw new QueueError('QUEUE_OPEN_FAILED', `queue ${dir}: cannot open the store: ${describeError(err)}`, {
      cause: err,
    });
  }
}

function damageReason(err: unknown, storeFiles: readonly string[]): string {
  if (!storeFiles.includes('CURRENT')) {
    return `CURRENT is missing but the directory holds a store (${storeFiles.slice(0, 5).join(', ')}${storeFiles.length > 5 ? ', …' : ''}); LevelDB would have created an empty store over it`;
  }
  return describeError(err);
}

async function moveStoreAside(dir: string, reason: string, now: number): Promise<string> {
  try {
    return await moveAside(dir, now);
  } catch (err) {
    throw new QueueError(
      'QUEUE_OPEN_FAILED',
      `queue ${dir}: the store is damaged (${reason}) and could not be moved aside: ${describeError(err)}`,
      { cause: err },
    );
  }
}

async function loadLedger(dir: string, log: Logger): Promise<SeqLedger | undefined> {
  const read = await readLedger(dir);
  if ('ledger' in read) return read.ledger;
  if ('unreadable' in read) {
    log.warn(
      { dir },
      `queue ${dir}: the seq ledger ${LEDGER_FILE} is unreadable (${read.unreadable}); seqs continue from what the store holds, and messages lost to damage cannot be counted at this start`,
    );
  }
  return undefined;
}

async function storeFilesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => STORE_FILE.test(name)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new QueueError(
      'QUEUE_OPEN_FAILED',
      `queue ${dir}: cannot read the directory: ${describeError(err)}`,
      {
        cause: err,
      },
    );
  }
}

interface Loss {
  readonly lossKnown: boolean;
  readonly lostSeqs: readonly SeqRange[];
  readonly lostMessages: number;
  readonly top: number;
}

function reportReplaced(
  log: Logger,
  dir: string,
  r: Loss & { reason: string; movedTo: string; salvaged: number; walCopy: string | undefined },
): void {
  const wal = r.walCopy === undefined ? '' : ` (its write-ahead log as found is in ${r.walCopy})`;
  log.error(
    { dir, movedTo: r.movedTo, walCopy: r.walCopy, salvaged: r.salvaged, ...lossFields(r) },
    `queue store ${dir} is corrupt (${r.reason}): moved it aside to ${r.movedTo}, where the old data is kept (nothing was deleted)${wal}; salvaged ${formatCount(r.salvaged)} messages from it into a new store; ${lossSentence(r)}`,
  );
}

function reportMissing(log: Logger, dir: string, r: Loss & { walCopy: string | undefined }): void {
  const kept =
    r.walCopy === undefined
      ? 'no copy of the write-ahead log could be kept'
      : `the write-ahead log as found before the open is kept in ${r.walCopy}`;
  log.error({ dir, walCopy: r.walCopy, ...lossFields(r) }, `queue store ${dir}: ${lossSentence(r)}; ${kept}`);
}

function lossFields(r: Loss): Record<string, unknown> {
  return {
    lost: r.lostMessages,
    lostSeqs: r.lostSeqs.slice(0, RANGES_IN_LOG),
    lossKnown: r.lossKnown,
    nextSeq: r.top + 1,
  };
}

function lossSentence(r: Loss): string {
  const next = `new seqs start at ${r.top + 1}, above every seq used before`;
  if (!r.lossKnown) {
    return `the previous process did not stop cleanly, so which messages are missing cannot be told; ${next}`;
  }
  if (r.lostMessages === 0)
    return `nothing is missing: every message stored at the last clean stop was recovered; ${next}`;
  const ranges = r.lostSeqs
    .slice(0, RANGES_IN_LOG)
    .map(([from, to]) => (from === to ? `${from}` : `${from}–${to}`))
    .join(', ');
  const more = r.lostSeqs.length > RANGES_IN_LOG ? ', …' : '';
  return `${formatCount(r.lostMessages)} messages stored at the last clean stop are missing and lost (seqs ${ranges}${more}); ${next}`;
}
