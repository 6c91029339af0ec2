/**
 * Issue 3, fault tests on the queue directory itself, with the gateway as a real process: a store that
 * was damaged while the gateway was stopped, and a second gateway started on the same state dir.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEVEL } from '../helpers/gateway-process.ts';
import {
  expectNothingLost,
  expectSeqsNeverReused,
  type FaultRig,
  startFaultRig,
  until,
} from './fault-rig.ts';

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

describe('the queue directory', () => {
  it('corrupt at start: the gateway moves it aside (keeping the files), says where loudly, and publishes new data', async () => {
    rig = await startFaultRig();
    const first = await rig.gw.start();
    await rig.waitForMore(100);
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    // Garbage over every file of the store (CURRENT, MANIFEST, log, tables), as a bad disk block would.
    const files = await readdir(rig.gw.queueDir);
    expect(files).toContain('CURRENT');
    const garbage = new Map<string, Buffer>();
    for (const name of files) {
      const path = join(rig.gw.queueDir, name);
      const size = (await stat(path)).size;
      const bytes = randomBytes(Math.max(64, size));
      garbage.set(name, bytes);
      await writeFile(path, bytes);
    }

    const second = await rig.gw.start();
    const moved = second.logs.find((l) => l.level >= LEVEL.error && typeof l.movedTo === 'string');
    expect(moved, 'an error line naming where the corrupt store went').toBeDefined();
    const movedTo = moved!.movedTo as string;
    expect(moved!.msg).toContain(rig.gw.queueDir);
    expect(moved!.msg).toContain(movedTo);
    expect(moved!.msg).toMatch(/corrupt/);
    // Nothing deleted: the damaged data files are all there, byte for byte, for someone to salvage
    // (LevelDB's own diagnostic LOG is rotated by the failed open attempt, LOCK and OWNER are not data).
    for (const [name, bytes] of garbage) {
      if (['LOCK', 'OWNER', 'LOG', 'LOG.old'].includes(name)) continue;
      expect((await readFile(join(movedTo, name))).equals(bytes), name).toBe(true);
    }
    expect((await second.waitForLog((l) => l.msg.startsWith('queue opened'))).msg).toBe(
      'queue opened: empty',
    );

    // New data flows: messages of the new boot arrive, with seqs above every seq the lost store used
    // (docs/queue.md), so a consumer that drops "seq <= last seen" as duplicates does not drop them.
    const boot = (await second.waitForLog((l) => l.msg.startsWith('starting gateway'))).boot as string;
    await rig.sub.waitFor(() => rig!.delivered().filter((d) => d.boot === boot).length >= 100);
    const fresh = rig.delivered().filter((d) => d.boot === boot);
    const old = rig.delivered().filter((d) => d.boot !== boot);
    expect(Math.min(...fresh.map((d) => d.seq))).toBeGreaterThan(Math.max(...old.map((d) => d.seq)));
    expect(second.exited).toBe(false);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('CURRENT deleted: no new store over the old one; moved aside, salvaged whole, nothing lost', async () => {
    rig = await startFaultRig();
    const first = await rig.gw.start();
    await rig.waitForMore(50);
    // A backlog on disk when the gateway stops: it must all arrive after the damage.
    await rig.drain();
    await rig.broker.stop();
    rig.plc.resume();
    const readsAtStop = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsAtStop + 150);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    await unlink(join(rig.gw.queueDir, 'CURRENT'));

    await rig.broker.restart();
    const second = await rig.gw.start();
    const moved = second.logs.find((l) => l.level >= LEVEL.error && typeof l.movedTo === 'string');
    expect(moved?.msg).toContain('CURRENT is missing but the directory holds a store');
    expect(moved?.msg).toContain('nothing is missing');
    expect(moved?.salvaged as number).toBeGreaterThan(100);
    expect(moved?.lost).toBe(0);
    const opened = await second.waitForLog((l) => l.msg.startsWith('queue opened'));
    expect(opened.depth).toBe(moved?.salvaged);
    const counts = await rig.drain();
    expectNothingLost(counts, rig.maxSeq());
    expectSeqsNeverReused(rig.delivered());
    console.info(
      `CURRENT deleted: ${moved?.salvaged as number} messages salvaged, ${counts.missing.length} missing`,
    );
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('a second gateway on the same state dir exits with "already in use by PID", and the first keeps running', async () => {
    rig = await startFaultRig();
    const first = await rig.gw.start();
    await rig.waitForMore(100);

    const second = rig.gw.spawn();
    expect(await second.waitForExit()).toEqual({ code: 1, signal: null });
    const fatal = second.logs.filter((l) => l.level === LEVEL.fatal);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(
      new RegExp(
        `^gateway failed to start: queue \\S+ is already in use by PID ${first.pid} \\(.*fieldbridge`,
      ),
    );
    expect(second.logs.some((l) => l.msg === 'connected to MQTT broker')).toBe(false);

    // The first never noticed: still running, still connected, still delivering without loss.
    await rig.waitForMore(200);
    expect(first.exited).toBe(false);
    const publisherOrQueue = first.logs.filter(
      (l) => l.level >= LEVEL.warn && (l.component === 'mqtt' || l.queue !== undefined),
    );
    expect(publisherOrQueue).toEqual([]);
    expectNothingLost(await rig.drain(), rig.maxSeq());
    expect(await first.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
