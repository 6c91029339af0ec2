/**
 * Issue 3: "A corrupt queue directory at start: clear error … never silently deletes data."
 *
 * Garbage in the middle of LevelDB's write-ahead log (`*.log`, where a stopped gateway's backlog sits
 * until compaction): LevelDB opens anyway (paranoid checks are off and classic-level does not expose
 * them), writes "(ignoring error) …/000003.log: dropping 16205 bytes; Corruption: checksum mismatch"
 * into its own LOG file, and deletes the damaged log after recovery. The queue (wal-guard.ts) copies the
 * logs aside before opening, finds that line, logs an error naming the dropped bytes and keeps the copy.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEVEL } from '../helpers/gateway-process.ts';
import { type FaultRig, startFaultRig, until } from './fault-rig.ts';

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

describe('a damaged write-ahead log in the queue directory', () => {
  it('is reported loudly, not dropped silently', async () => {
    rig = await startFaultRig();
    const first = await rig.gw.start();
    await rig.waitForMore(50);
    // A backlog that stays on disk: the broker is down when the gateway stops.
    await rig.broker.stop();
    const readsAtStop = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsAtStop + 150);
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    const wal = (await readdir(rig.gw.queueDir)).filter((name) => name.endsWith('.log'));
    expect(wal.length).toBeGreaterThan(0);
    const walName = wal.at(-1)!;
    const file = await open(join(rig.gw.queueDir, walName), 'r+');
    const size = (await file.stat()).size;
    await file.write(Buffer.alloc(64, 0x5a), 0, 64, Math.floor(size / 2));
    await file.close();
    const damaged = await readFile(join(rig.gw.queueDir, walName));

    const second = await rig.gw.start();
    const opened = await second.waitForLog((l) => l.msg.startsWith('queue opened'));
    const reported = second.logs.filter((l) => l.level >= LEVEL.error && /corrupt/i.test(l.msg));
    expect(
      reported.map((l) => l.msg),
      `LevelDB dropped part of its log; the gateway only said "${opened.msg}"`,
    ).not.toEqual([]);
    const [report] = reported;
    expect(report?.msg).toMatch(/LevelDB dropped [\d ]+ bytes of it at open/);
    // The damaged log as it was before the open is kept (LevelDB deleted its own copy), and named.
    const walCopy = report?.walCopy as string;
    expect(walCopy).toMatch(/\.corrupt-[\dT-]+Z-wal$/);
    expect(report?.msg).toContain(walCopy);
    expect((await readFile(join(walCopy, walName))).equals(damaged)).toBe(true);

    // SIGTERM is handled once the service runs: wait for it to poll before stopping it.
    await second.waitForLog((l) => l.msg === 'gateway running');
    const readsAtStart = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsAtStart + 8);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
