/**
 * Issue 12, point 2: the state directory's filesystem is full while the broker is down. The gateway keeps
 * polling; the queue cannot store what it is handed, so those messages are lost. Nothing may be lost
 * silently: every one is counted (/metrics, /api/status, a warning per burst with the count), and the
 * count equals what an independent subscriber finds missing once the disk has space and the broker is
 * back. A real tmpfs (root) as the state directory, the gateway as its own process.
 */
import { execFile } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayRun } from '../helpers/gateway-process.ts';
import { expectSeqsNeverReused, type FaultRig, startFaultRig, until } from './fault-rig.ts';

const run = promisify(execFile);
const TMPFS_SIZE = '24m';

let rig: FaultRig | undefined;
let mounted: string | undefined;
afterEach(async () => {
  await Promise.allSettled((rig?.gw.runs ?? []).map((r) => r.kill()));
  if (mounted !== undefined) await run('umount', [mounted]).catch(() => undefined);
  mounted = undefined;
  await rig?.dispose();
  rig = undefined;
});

/** Writes zeros until the filesystem is full; returns the filler's path. */
async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const file = await open(path, 'w');
  try {
    for (;;) await file.write(Buffer.alloc(256 * 1024));
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await file.close();
  }
  return path;
}

async function httpUrl(gw: GatewayRun): Promise<string> {
  const prefix = 'status page, health and metrics on ';
  const line = await gw.waitForLog((l) => l.msg.startsWith(prefix), 15_000, 'the status server line');
  return line.msg.slice(prefix.length);
}

async function metric(url: string, line: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return Number(found?.split(' ')[1] ?? Number.NaN);
}

describe('state directory on a full disk while the broker is down', () => {
  it('counts every message it could not queue, and the count is exactly what the subscriber misses', async (ctx) => {
    rig = await startFaultRig();
    await mkdir(rig.gw.stateDir, { recursive: true });
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', rig.gw.stateDir]);
      mounted = rig.gw.stateDir;
    } catch (err) {
      console.warn(`skipping the full-disk fault test: cannot mount a tmpfs (${(err as Error).message})`);
      ctx.skip();
    }
    const gw = await rig.gw.start();
    const url = await httpUrl(gw);
    await rig.waitForMore(200);
    // Nothing in flight when the broker stops, so every loss below is one that never left the gateway.
    await rig.drain();
    await rig.broker.stop();
    rig.plc.resume();
    const readsAtStop = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsAtStop + 50);

    const filler = await fillDisk(rig.gw.stateDir);
    await gw.waitForLog((l) => l.reason === 'write_failed', 15_000, 'the "could not store" warning');
    const readsWhenFull = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsWhenFull + 150, 20_000);
    await rm(filler);
    await gw.waitForLog((l) => l.msg.startsWith('queue writes succeed again'), 15_000, 'the recovery line');
    const readsAfter = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsAfter + 50);
    rig.plc.pause();

    // Counted while running: /metrics and /api/status say the same.
    const counted = await metric(url, 'fieldbridge_queue_not_queued_total{reason="write_failed"}');
    expect(counted).toBeGreaterThan(100);
    const status = (await (await fetch(`${url}/api/status`)).json()) as {
      queue: { notQueued: { writeFailed: number; backPressure: number } };
      devices: { notQueued: number }[];
    };
    expect(status.queue.notQueued).toEqual({ writeFailed: counted, backPressure: 0 });
    expect(status.devices[0]?.notQueued).toBe(counted);
    expect(await metric(url, 'fieldbridge_device_not_queued_total{device="plc1"}')).toBe(counted);

    await rig.broker.restart();
    const counts = await rig.drain({ allSeqs: false });
    expect(await gw.stop()).toEqual({ code: 0, signal: null });

    // Observed by the subscriber: the missing seqs are exactly the counted ones; nothing else is missing.
    expect(counts.missing.length).toBe(counted);
    expect(counts.outOfOrderByTopic).toEqual({});
    expectSeqsNeverReused(rig.delivered());
    // Seen from the PLC's counters too: the holes are the reads whose messages were not queued.
    const holes = rig.readGaps().reduce((n, g) => n + g.missing, 0);
    expect(holes).toBe(counted);
    // Logged once per burst with the count (not once per batch): the lines add up to the total.
    const lines = gw.logs.filter((l) => l.reason === 'write_failed');
    expect(lines.reduce((n, l) => n + (l.notQueued as number), 0)).toBe(counted);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.every((l) => l.level === 40 && /No space left on device/.test(l.msg))).toBe(true);
    console.info(
      `disk full: ${counted} messages not queued (counted) = ${counts.missing.length} missing at the subscriber, in ${lines.length} warning lines`,
    );
  }, 90_000);
});
