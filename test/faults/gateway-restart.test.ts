/**
 * Issue 3, fault tests: the gateway process stopped (SIGTERM) or killed (SIGKILL) mid-stream and started
 * again on the same state dir. With the default queue settings nothing may be lost in either case: what
 * `append` resolved is in LevelDB's log in the OS page cache, which a process kill does not touch
 * (durability bound in docs/queue.md). The queue must reopen without corruption and drain.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LEVEL, type LogLine } from '../helpers/gateway-process.ts';
import {
  expectNoReadsLost,
  expectNothingLost,
  expectSeqsNeverReused,
  type FaultRig,
  startFaultRig,
  until,
} from './fault-rig.ts';

/**
 * A SIGKILL loses the reads not yet stored: the poll on the wire and the appends of the current
 * group-commit window (5 ms), at a 10 ms poll interval one or two reads. 20 (200 ms of polling) leaves
 * room for a slow machine and is still far below any backlog these tests build (hundreds of reads).
 */
const MAX_READS_LOST_PER_KILL = 20;

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

const queueOpened = (l: LogLine): boolean => l.msg.startsWith('queue opened');
const errorsOf = (logs: readonly LogLine[]): string[] =>
  logs.filter((l) => l.level >= LEVEL.error).map((l) => l.msg);

describe('gateway process restarted mid-stream', () => {
  it('SIGTERM: shuts down cleanly and promptly, and nothing is lost across the restart', async () => {
    rig = await startFaultRig();
    const first = await rig.gw.start();
    await rig.waitForMore(300);

    // The PLC is still being polled: the gateway is stopped in the middle of a stream.
    expect(await first.stop(10_000)).toEqual({ code: 0, signal: null });
    expect(first.logs.map((l) => l.msg)).toContain('gateway stopped');
    expect(errorsOf(first.logs)).toEqual([]);

    const second = await rig.gw.start();
    await rig.waitForMore(300);
    const counts = await rig.drain();
    expectNothingLost(counts, rig.maxSeq());
    expectSeqsNeverReused(rig.delivered());
    expectNoReadsLost(rig);
    expect(rig.gw.runs.flatMap((run) => run.logs).filter((l) => l.unstoredFrom !== undefined)).toEqual([]);
    // The second boot continued the first one's seqs instead of starting over. What the first had stored
    // but not yet published went out from the second as backlog (the boot stamp is the publisher's).
    const firstBoot = rig.delivered()[0]!.boot;
    const lastOfFirst = Math.max(
      ...rig
        .delivered()
        .filter((d) => d.boot === firstBoot)
        .map((d) => d.seq),
    );
    const nextSeq = (await second.waitForLog(queueOpened)).nextSeq as number;
    expect(nextSeq).toBeGreaterThan(lastOfFirst);
    const leftovers = rig.delivered().filter((d) => d.boot !== firstBoot && d.seq < nextSeq);
    expect(leftovers.filter((d) => !d.historical)).toEqual([]);
    expect(errorsOf(second.logs)).toEqual([]);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('SIGTERM while starting: the stop waits for the start, then is clean (exit 0, nothing lost)', async () => {
    rig = await startFaultRig();
    const run = rig.gw.spawn();
    // The first log line comes from the start itself, long before "gateway running".
    await run.waitForLog(() => true, 15_000, 'the first log line');
    expect(await run.stop(15_000)).toEqual({ code: 0, signal: null });
    const msgs = run.logs.map((l) => l.msg);
    expect(msgs).toContain('SIGTERM received while starting: stopping once started');
    expect(msgs).toContain('gateway stopped');
    expect(errorsOf(run.logs)).toEqual([]);
    // The next start finds a cleanly closed queue: no announced unstored range.
    const next = await rig.gw.start();
    expect(next.logs.some((l) => typeof l.unstoredFrom === 'number')).toBe(false);
    expect(await next.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('SIGKILL, three times (once with a backlog): nothing lost, no corruption, the queue reopens and drains', async () => {
    rig = await startFaultRig();
    // 1: killed while streaming to a connected broker.
    const first = await rig.gw.start();
    await rig.waitForMore(250);
    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });

    // 2: killed while the broker is down and the queue holds a backlog of a few hundred messages.
    const second = await rig.gw.start();
    await rig.waitForMore(250);
    await rig.broker.stop();
    const readsAtStop = rig.plc.reads;
    await until(() => rig!.plc.reads >= readsAtStop + 150);
    expect(await second.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    await rig.broker.restart();

    // 3: killed while replaying that backlog.
    const third = await rig.gw.start();
    const opened = await third.waitForLog(queueOpened);
    expect(opened.depth as number).toBeGreaterThan(100);
    await rig.waitForMore(100);
    expect(await third.kill()).toEqual({ code: null, signal: 'SIGKILL' });

    const last = await rig.gw.start();
    await rig.waitForMore(250);
    const counts = await rig.drain();
    expectNothingLost(counts, rig.maxSeq());
    expectSeqsNeverReused(rig.delivered());
    expect(new Set(rig.delivered().map((d) => d.boot)).size).toBe(4);
    // Each start after a kill announced the seqs the dead process had reserved; a start after a clean stop
    // announces none. Seqs there that did not arrive were never stored (the reads lost in the kill).
    const announced = rig.gw.runs.map((run) => run.logs.some((l) => typeof l.unstoredFrom === 'number'));
    expect(announced).toEqual([false, true, true, true]);
    expect(rig.expectedSeqs().length).toBeGreaterThan(500);
    // The backlog of kill 2 survived: the only holes in the PLC's read counter are the last moments
    // before each kill.
    expectNoReadsLost(rig, 3 * MAX_READS_LOST_PER_KILL);
    expect(rig.readGaps().filter((g) => g.missing > MAX_READS_LOST_PER_KILL)).toEqual([]);

    // Each restart opened the store the killed process left: no corruption, nothing moved aside, no
    // error but those of the broker outage (the publisher's, component "mqtt").
    for (const run of rig.gw.runs) {
      expect(run.logs.some(queueOpened)).toBe(true);
      expect(errorsOf(run.logs.filter((l) => l.component !== 'mqtt'))).toEqual([]);
    }
    expect((await readdir(rig.gw.stateDir)).filter((name) => name.includes('corrupt'))).toEqual([]);
    expect(await last.stop()).toEqual({ code: 0, signal: null });
  }, 90_000);
});
