/**
 * Issue 12, point 3: a store damaged while the gateway was stopped. Each case starts and either loses
 * nothing or reports exactly what it lost (error line, stats) with the damaged files kept; no seq is
 * handed out twice, and no salvaged message differs from what was appended.
 *
 * The store: 20 000 messages compacted into table files, 2 000 more in the write-ahead log, seqs 1–100
 * acknowledged, then a clean close (the seq ledger records 101–22 000 as stored).
 */
import {
  cp,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelQueue } from '../../../gateway/queue/level-queue.ts';
import type { OutgoingMessage } from '../../../gateway/queue/queue.ts';
import { messageKey } from '../../../gateway/queue/record-codec.ts';
import { captureLog, type LogLine } from './log-capture.ts';

const IN_TABLES = 20_000;
const IN_LOG = 2_000;
const ACKED = 100;
const TOTAL = IN_TABLES + IN_LOG;
const ERROR = 50;

/** Message i gets seq i (a fresh store): its payload names it, so a garbled salvage cannot pass. */
const msg = (i: number): OutgoingMessage => ({
  topic: `plant/line1/tag${i % 50}`,
  payload: Buffer.from(`{"i":${i},"pad":"${'x'.repeat(60)}"}`),
  qos: 1,
  retain: false,
});

let root = '';
let template = '';
let count = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbridge-damage-'));
  template = join(root, 'template');
  const log = captureLog().log;
  const first = new LevelQueue({ dir: template, log });
  await first.open();
  for (let i = 1; i <= IN_TABLES; i += 500) {
    await first.append(Array.from({ length: 500 }, (_, k) => msg(i + k)));
  }
  await first.close();
  const db = new Level<Buffer, Buffer>(template, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  // `level` re-exports classic-level at runtime but its types omit the LevelDB-only compactRange.
  const compactable = db as unknown as { compactRange(start: Buffer, end: Buffer): Promise<void> };
  await compactable.compactRange(messageKey(0), messageKey(Number.MAX_SAFE_INTEGER));
  await db.close();
  const second = new LevelQueue({ dir: template, log });
  await second.open();
  for (let i = IN_TABLES + 1; i <= TOTAL; i += 100) {
    await second.append(Array.from({ length: 100 }, (_, k) => msg(i + k)));
  }
  await second.ack(Array.from({ length: ACKED }, (_, k) => k + 1));
  await second.close();
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the template store to damage. */
async function freshCopy(): Promise<{ dir: string; files: string[] }> {
  const dir = join(root, `case${++count}`, 'queue');
  await cp(template, dir, { recursive: true });
  const files = await readdir(dir);
  expect(files.filter((f) => f.endsWith('.ldb')).length).toBeGreaterThan(0);
  expect(files.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(0);
  return { dir, files };
}

interface Outcome {
  readonly queue: LevelQueue;
  readonly errors: LogLine[];
  /** Seqs 101..TOTAL not found after the open. */
  readonly lost: number[];
  readonly nextSeq: number;
}

async function openDamaged(dir: string): Promise<Outcome> {
  const captured = captureLog();
  const queue = new LevelQueue({ dir, log: captured.log });
  await queue.open();
  const read = await queue.read(0, TOTAL * 2);
  // Every message the open kept is byte for byte the one appended under that seq.
  const wrong = read.filter((m) => !m.payload.equals(msg(m.seq).payload) || m.topic !== msg(m.seq).topic);
  expect(wrong.map((m) => m.seq).slice(0, 5)).toEqual([]);
  const present = new Set(read.map((m) => m.seq));
  const lost: number[] = [];
  for (let seq = ACKED + 1; seq <= TOTAL; seq++) if (!present.has(seq)) lost.push(seq);
  const [nextSeq] = await queue.append([msg(0)]);
  return { queue, errors: captured.lines.filter((l) => l.level >= ERROR), lost, nextSeq: nextSeq ?? 0 };
}

/** The loss is counted and named exactly; seqs continue above everything used, with no jump. */
function expectReported(outcome: Outcome): void {
  const { queue, errors, lost } = outcome;
  const damage = queue.stats().storeDamage;
  expect(damage?.lossKnown).toBe(true);
  expect(damage?.lostMessages).toBe(lost.length);
  expect(damage?.lostSeqs).toEqual(rangesOf(lost));
  const reported = errors.filter((l) => typeof l.lost === 'number');
  expect(reported.map((l) => l.lost)).toEqual([lost.length]);
  expect(outcome.nextSeq).toBe(TOTAL + 1);
}

function rangesOf(seqs: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const seq of seqs) {
    const last = ranges.at(-1);
    if (last !== undefined && last[1] === seq - 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

/**
 * Every file as found is kept byte for byte: in the moved-aside store, or (for what a successful open
 * rewrote before the scan found the damage: logs, CURRENT, MANIFEST) in the copy taken before the open.
 */
async function expectKeptWhole(queue: LevelQueue, before: Map<string, Buffer>): Promise<void> {
  const { movedTo, walCopy } = queue.stats().storeDamage ?? {};
  expect(movedTo).toBeDefined();
  for (const [name, bytes] of before) {
    if (name === 'SEQS') continue; // the ledger: read, then replaced once the new store is open
    const inCopy = walCopy !== undefined && (await readdir(walCopy)).includes(name);
    const kept = await readFile(join(inCopy ? walCopy : (movedTo ?? ''), name));
    expect(kept.equals(bytes), name).toBe(true);
  }
}

async function snapshot(dir: string, names: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of names) {
    if (/^(\d+\.(ldb|log)|MANIFEST-\d+|CURRENT|SEQS)$/.test(name))
      out.set(name, await readFile(join(dir, name)));
  }
  return out;
}

const newest = (files: string[], ext: string) =>
  files
    .filter((f) => f.endsWith(ext))
    .sort()
    .at(-1) ?? 'none';

describe('LevelQueue opening a damaged store', () => {
  it('write-ahead log cut to half: LevelDB says nothing; the ledger names the lost messages, the log is kept', async () => {
    const { dir, files } = await freshCopy();
    const wal = join(dir, newest(files, '.log'));
    await truncate(wal, Math.floor((await stat(wal)).size / 2));
    const damaged = await readFile(wal);
    const outcome = await openDamaged(dir);
    expect(outcome.lost.length).toBeGreaterThan(100);
    expect(outcome.lost.length).toBeLessThan(IN_LOG);
    expectReported(outcome);
    const { walCopy } = outcome.queue.stats().storeDamage ?? {};
    expect((await readFile(join(walCopy ?? '', newest(files, '.log')))).equals(damaged)).toBe(true);
    expect(outcome.errors.at(-1)?.msg).toContain(`kept in ${walCopy}`);
    await outcome.queue.close();
  });

  it('write-ahead log garbled in the middle: what LevelDB dropped is counted message by message', async () => {
    const { dir, files } = await freshCopy();
    const wal = join(dir, newest(files, '.log'));
    const file = await open(wal, 'r+');
    await file.write(Buffer.alloc(64, 0x5a), 0, 64, Math.floor((await file.stat()).size / 2));
    await file.close();
    const outcome = await openDamaged(dir);
    expect(outcome.lost.length).toBeGreaterThan(0);
    expectReported(outcome);
    expect(outcome.errors.some((l) => /LevelDB dropped [\d ]+ bytes/.test(l.msg))).toBe(true);
    await outcome.queue.close();
  });

  it('table file cut to half: moved aside whole, the log and the other tables salvaged, the rest reported', async () => {
    const { dir, files } = await freshCopy();
    const before = await snapshot(dir, files);
    for (const table of files.filter((f) => f.endsWith('.ldb'))) {
      const path = join(dir, table);
      await truncate(path, Math.floor((await stat(path)).size / 2));
      before.set(table, await readFile(path));
    }
    const outcome = await openDamaged(dir);
    // What was in the log is all there; what was only in the cut tables is lost, and said so.
    expect(outcome.lost.every((seq) => seq <= IN_TABLES)).toBe(true);
    expect(outcome.lost.length).toBeGreaterThan(0);
    expectReported(outcome);
    await expectKeptWhole(outcome.queue, before);
    expect(outcome.errors.some((l) => /is corrupt \(.*\): moved it aside to/.test(l.msg))).toBe(true);
    await outcome.queue.close();
  });

  it('table file garbled: moved aside whole, every readable message salvaged, the rest reported', async () => {
    const { dir, files } = await freshCopy();
    const before = await snapshot(dir, files);
    for (const table of files.filter((f) => f.endsWith('.ldb'))) {
      const bytes = await readFile(join(dir, table));
      bytes.fill(0x55, Math.floor(bytes.length / 3), Math.floor(bytes.length / 3) + 200);
      await writeFile(join(dir, table), bytes);
      before.set(table, bytes);
    }
    const outcome = await openDamaged(dir);
    expect(outcome.lost.length).toBeGreaterThan(0);
    expect(outcome.lost.length).toBeLessThan(IN_TABLES / 2);
    expectReported(outcome);
    await expectKeptWhole(outcome.queue, before);
    await outcome.queue.close();
  });

  it('MANIFEST damaged: moved aside whole and everything salvaged, nothing lost', async () => {
    const { dir, files } = await freshCopy();
    const manifest = files.find((f) => f.startsWith('MANIFEST-')) ?? 'MANIFEST-missing';
    await writeFile(join(dir, manifest), Buffer.alloc(200, 0x41));
    const before = await snapshot(dir, await readdir(dir));
    const outcome = await openDamaged(dir);
    expect(outcome.lost).toEqual([]);
    expectReported(outcome);
    await expectKeptWhole(outcome.queue, before);
    const [line] = outcome.errors;
    expect(outcome.errors).toHaveLength(1);
    expect(line?.msg).toMatch(
      /is corrupt \(Corruption: .*\): moved it aside to .*, where the old data is kept/,
    );
    expect(line?.msg).toContain(
      `salvaged ${(TOTAL - ACKED).toLocaleString('en').replace(/,/g, ' ')} messages`,
    );
    expect(line?.msg).toContain('nothing is missing');
    await outcome.queue.close();
  });

  it('CURRENT deleted: never a new store over the old one; moved aside and everything salvaged', async () => {
    const { dir } = await freshCopy();
    await unlink(join(dir, 'CURRENT'));
    const before = await snapshot(dir, await readdir(dir));
    const outcome = await openDamaged(dir);
    expect(outcome.lost).toEqual([]);
    expectReported(outcome);
    await expectKeptWhole(outcome.queue, before);
    expect(outcome.errors[0]?.msg).toContain('CURRENT is missing but the directory holds a store');
    await outcome.queue.close();
  });

  it('after a crash (no clean close) the loss cannot be told, and says so; seqs still never go back', async () => {
    const { dir, files } = await freshCopy();
    // A ledger as a killed process leaves it: a reservation, not closed.
    await writeFile(
      join(dir, 'SEQS'),
      `${JSON.stringify({ version: 1, reserved: TOTAL + 5000, closed: false })}\n`,
    );
    await writeFile(
      join(dir, files.find((f) => f.startsWith('MANIFEST-')) ?? 'MANIFEST-x'),
      Buffer.alloc(64),
    );
    const outcome = await openDamaged(dir);
    expect(outcome.lost).toEqual([]);
    const damage = outcome.queue.stats().storeDamage;
    expect(damage).toMatchObject({ lossKnown: false, lostMessages: 0 });
    expect(outcome.errors[0]?.msg).toContain('which messages are missing cannot be told');
    expect(outcome.nextSeq).toBe(TOTAL + 5001);
    expect(outcome.queue.stats().unstoredSeqs).toEqual({ from: TOTAL + 1, to: TOTAL + 5000 });
    await outcome.queue.close();
  });

  it('an intact store opens without a word, and a clean close leaves nothing to report next time', async () => {
    const { dir } = await freshCopy();
    const outcome = await openDamaged(dir);
    expect(outcome.lost).toEqual([]);
    expect(outcome.errors).toEqual([]);
    expect(outcome.queue.stats().storeDamage).toBeUndefined();
    expect(outcome.nextSeq).toBe(TOTAL + 1);
    await outcome.queue.close();
    expect((await readdir(join(dir, '..'))).filter((f) => f !== 'queue')).toEqual([]);
  });
});
