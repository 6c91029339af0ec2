/**
 * Issue 3, fault test: the queue reaches its byte bound while the broker is down. The oldest messages are
 * dropped and counted (the hole in the seqs equals the count the gateway logs), the gateway keeps
 * running, and the newest messages are delivered once the broker is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultRig, startFaultRig, until } from './fault-rig.ts';

/** About 160 messages of ~125 bytes (key + record): full within half a second of a broker outage. */
const MAX_BYTES = 20_000;

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

describe('queue full while the broker is down', () => {
  it('drops the oldest, counts exactly what it dropped, and delivers the newest', async () => {
    rig = await startFaultRig({ queue: { type: 'level', maxBytes: MAX_BYTES } });
    const run = await rig.gw.start();
    await rig.waitForMore(100);
    // Nothing in flight when the broker stops: a message the broker delivered but whose PUBACK died with
    // the connection would stay queued, be dropped and counted, and yet have arrived (at least once
    // allows that, but it would blur the count this test checks).
    await rig.drain();
    await rig.broker.stop();
    rig.plc.resume();
    const readsAtStop = rig.plc.reads;
    await run.waitForLog((l) => l.msg.startsWith('queue full'), 15_000, 'the "queue full" warning');
    await until(() => rig!.plc.reads >= readsAtStop + 200);
    // Production stops before the broker returns, so nothing is appended (and nothing dropped) while the
    // publisher replays: every drop is then a message that never left the gateway.
    rig.plc.pause();
    await rig.broker.restart();
    const counts = await rig.drain({ allSeqs: false });

    // A clean stop logs the tail of the last burst of drops, so the logged counts add up to the total.
    expect(await run.stop()).toEqual({ code: 0, signal: null });
    const dropLines = run.logs.filter((l) => l.msg.startsWith('queue full'));
    const dropped = dropLines.reduce((sum, l) => sum + (l.dropped as number), 0);
    expect(dropped).toBeGreaterThan(100);
    // Logged once per burst, not once per dropped message or per group commit.
    expect(dropLines.length).toBeLessThanOrEqual(3);

    // The hole in the seqs is exactly what the gateway counted, in one block: the oldest ones.
    const missing = counts.missing;
    expect(missing.length).toBe(dropped);
    expect(missing.at(-1)! - missing[0]! + 1).toBe(missing.length);
    expect(counts.outOfOrderByTopic).toEqual({});

    // What the bound kept, the newest messages, came after the broker returned, as historical backlog.
    const afterHole = rig.delivered().filter((d) => d.seq > missing.at(-1)!);
    expect(afterHole.length).toBeGreaterThan(50);
    expect(afterHole.every((d) => d.historical)).toBe(true);
    expect(Math.max(...afterHole.map((d) => d.value ?? 0))).toBe(rig.plc.reads);
    // Seen from the PLC: one hole per topic, the reads whose messages were dropped.
    const gaps = rig.readGaps();
    expect(gaps).toHaveLength(rig.plc.tagNames.length);
    expect(gaps.reduce((sum, g) => sum + g.missing, 0)).toBe(dropped);
  }, 60_000);
});
