/**
 * Issue 3 and issue 12, point 3: LevelDB's write-ahead log (`*.log`, where a stopped gateway's backlog
 * sits until compaction) damaged while the gateway was stopped, the gateway as a real process.
 *
 * - Garbage in the middle: LevelDB opens anyway (paranoid checks are off and classic-level does not
 *   expose them), writes "(ignoring error) …/000003.log: dropping 16205 bytes; Corruption: checksum
 *   mismatch" into its own LOG file, and deletes the damaged log after recovery. The queue (wal-guard.ts)
 *   copies the logs aside before opening, finds that line, logs an error and keeps the copy.
 * - Cut to half: LevelDB says nothing at all. The seq ledger (seq-ledger.ts) written at the clean stop
 *   names the messages that were stored; the open finds them missing and reports them.
 *
 * Either way the count the gateway reports is exactly what the subscriber never receives.
 */
import { open, readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayRun, LEVEL, type LogLine } from '../helpers/gateway-process.ts';
import { expectSeqsNeverReused, type FaultRig, startFaultRig, until } from './fault-rig.ts';

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

/** Stops the gateway with a backlog on disk (nothing in flight), damages its newest log, starts again. */
async function restartWithDamagedLog(
  damage: (path: string) => Promise<void>,
): Promise<{ second: GatewayRun; walName: string; damaged: Buffer }> {
  rig = await startFaultRig();
  const first = await rig.gw.start();
  await rig.waitForMore(50);
  // Everything so far delivered and acked: what is stored at the stop never reached the subscriber.
  await rig.drain();
  await rig.broker.stop();
  rig.plc.resume();
  const readsAtStop = rig.plc.reads;
  await until(() => rig!.plc.reads >= readsAtStop + 150);
  expect(await first.stop()).toEqual({ code: 0, signal: null });

  const wal = (await readdir(rig.gw.queueDir)).filter((name) => name.endsWith('.log'));
  expect(wal.length).toBeGreaterThan(0);
  const walName = wal.at(-1)!;
  await damage(join(rig.gw.queueDir, walName));
  const damaged = await readFile(join(rig.gw.queueDir, walName));
  const second = await rig.gw.start();
  return { second, walName, damaged };
}

/** The loss the gateway reported, and what the subscriber misses once the backlog is delivered. */
async function reportedAndObserved(second: GatewayRun): Promise<{ report: LogLine; missing: number[] }> {
  const report = second.logs.find((l) => l.level >= LEVEL.error && typeof l.lost === 'number');
  expect(report, 'an error line with the count of lost messages').toBeDefined();
  await rig!.broker.restart();
  const counts = await rig!.drain({ allSeqs: false });
  expectSeqsNeverReused(rig!.delivered());
  return { report: report!, missing: counts.missing };
}

function expand(ranges: readonly (readonly [number, number])[]): number[] {
  return ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

describe('a damaged write-ahead log in the queue directory', () => {
  it('garbled: reported loudly with a copy kept, and the lost messages counted exactly', async () => {
    const { second, walName, damaged } = await restartWithDamagedLog(async (path) => {
      const file = await open(path, 'r+');
      const size = (await file.stat()).size;
      await file.write(Buffer.alloc(64, 0x5a), 0, 64, Math.floor(size / 2));
      await file.close();
    });
    const opened = await second.waitForLog((l) => l.msg.startsWith('queue opened'));
    const reported = second.logs.filter((l) => l.level >= LEVEL.error && /corrupt/i.test(l.msg));
    expect(
      reported.map((l) => l.msg),
      `LevelDB dropped part of its log; the gateway only said "${opened.msg}"`,
    ).not.toEqual([]);
    const [walReport] = reported;
    expect(walReport?.msg).toMatch(/LevelDB dropped [\d ]+ bytes of it at open/);
    // The damaged log as it was before the open is kept (LevelDB deleted its own copy), and named.
    const walCopy = walReport?.walCopy as string;
    expect(walCopy).toMatch(/\.corrupt-[\dT-]+Z-wal$/);
    expect(walReport?.msg).toContain(walCopy);
    expect((await readFile(join(walCopy, walName))).equals(damaged)).toBe(true);

    const { report, missing } = await reportedAndObserved(second);
    expect(report.lost as number).toBeGreaterThan(0);
    expect(missing).toEqual(expand(report.lostSeqs as [number, number][]));
    expect(missing.length).toBe(report.lost);
    console.info(
      `WAL garbled: ${report.lost} messages reported lost = ${missing.length} missing at the subscriber`,
    );
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('cut to half: LevelDB is silent, the gateway is not: loss counted exactly, log kept, no seq reused', async () => {
    const { second, walName, damaged } = await restartWithDamagedLog(async (path) => {
      await truncate(path, Math.floor((await stat(path)).size / 2));
    });
    const { report, missing } = await reportedAndObserved(second);
    expect(report.msg).toMatch(
      /messages stored at the last clean stop are missing and lost \(seqs \d+–\d+\)/,
    );
    expect(missing.length).toBeGreaterThan(0);
    expect(missing).toEqual(expand(report.lostSeqs as [number, number][]));
    const walCopy = report.walCopy as string;
    expect((await readFile(join(walCopy, walName))).equals(damaged)).toBe(true);
    // The lost seqs are never handed out again: the new process's first seq is above all of them.
    expect(report.nextSeq as number).toBeGreaterThan(missing.at(-1)!);
    console.info(
      `WAL cut to half: ${report.lost} messages reported lost = ${missing.length} missing at the subscriber`,
    );
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
