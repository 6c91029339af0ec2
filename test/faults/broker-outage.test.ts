/**
 * Issue 3, fault test: the broker is down for several seconds while the gateway keeps polling. Nothing
 * may be lost, the backlog is replayed in order and marked historical, and the outage is logged once
 * (not once per poll or per reconnect attempt).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LEVEL } from '../helpers/gateway-process.ts';
import {
  expectNoReadsLost,
  expectNothingLost,
  expectSeqsNeverReused,
  type FaultRig,
  sleep,
  startFaultRig,
} from './fault-rig.ts';

/** The fault itself: long enough for a few thousand queued messages and several reconnect attempts. */
const OUTAGE_MS = 6000;

let rig: FaultRig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

describe('broker down for a sustained period while polling continues', () => {
  it('loses nothing, replays the backlog as historical, and logs the outage once', async () => {
    rig = await startFaultRig();
    const run = await rig.gw.start();
    await rig.waitForMore(200);

    await rig.broker.stop();
    const downFrom = Date.now();
    const readsAtStop = rig.plc.reads;
    await sleep(OUTAGE_MS);
    const downUntil = Date.now();
    // The gateway kept polling (and producing) while the broker was away.
    expect(rig.plc.reads - readsAtStop).toBeGreaterThan(100);
    const linesBeforeRestart = run.logs.length;
    await rig.broker.restart();

    // Live data flows again behind the backlog: a message read after the restart arrives, not historical.
    await rig.sub.waitFor(
      () => rig!.delivered().some((d) => d.tsMs > downUntil + 200 && !d.historical),
      30_000,
    );
    const counts = await rig.drain();
    const delivered = rig.delivered();
    expectNothingLost(counts, rig.maxSeq());
    expectSeqsNeverReused(delivered);
    expectNoReadsLost(rig);

    // Everything read while the broker was down came as backlog, stamped historical.
    const duringOutage = delivered.filter((d) => d.tsMs > downFrom && d.tsMs < downUntil);
    expect(duringOutage.length).toBeGreaterThan(200);
    expect(duringOutage.filter((d) => !d.historical).map((d) => d.seq)).toEqual([]);

    // The outage is reported once: one warning for the lost connection and one line per distinct
    // problem (how the socket closed, the refused reconnects), however many attempts and polls there were
    // (the device's own lines, e.g. a missed poll on a loaded machine, are not about the outage).
    const outage = run.logs
      .slice(0, linesBeforeRestart)
      .filter((l) => l.level >= LEVEL.warn && l.component === 'mqtt')
      .map((l) => l.msg);
    expect(outage.filter((m) => m.startsWith('connection to MQTT broker lost'))).toHaveLength(1);
    expect(outage.filter((m) => /refused the connection \(ECONNREFUSED\)/.test(m))).toHaveLength(1);
    expect(new Set(outage).size).toBe(outage.length);
    expect(outage.length).toBeLessThanOrEqual(3);
    expect(run.logs.filter((l) => l.msg === 'connected to MQTT broker')).toHaveLength(2);
    expect((await run.stop()).code).toBe(0);
  }, 60_000);
});
