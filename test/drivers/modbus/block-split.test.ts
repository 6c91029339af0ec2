/**
 * Exception 02 on a coalesced block: the driver splits it along tag boundaries, reads the readable
 * parts, lists the unreadable ones, and reuses the layout on later polls (issue 4).
 */
import { describe, expect, it } from 'vitest';
import { atomsForPlan } from '../../../drivers/modbus/block-atoms.ts';
import { createModbusTcpDriver } from '../../../drivers/modbus/tcp-driver.ts';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';
import { capturingLogger, recorder, registersOf, useHarness } from './harness.ts';

const { cleanups } = useHarness();

describe('block splitting on exception 02', () => {
  it('computes split units from the tags, merging overlaps', () => {
    const plan = { blocks: [{ area: 'holding' as const, start: 0, count: 10 }] };
    const atoms = atomsForPlan(plan, [
      { area: 'holding', address: 0, registers: 2 },
      { area: 'holding', address: 1, registers: 1 },
      { area: 'holding', address: 4, registers: 1 },
      { area: 'input', address: 4, registers: 1 },
      { area: 'holding', address: 8, registers: 2 },
    ]);
    expect(atoms).toEqual([
      [
        { start: 0, count: 2 },
        { start: 4, count: 1 },
        { start: 8, count: 2 },
      ],
    ]);
  });

  it('reads the readable tags of a block with a hole, marks the hole, and remembers the layout', async () => {
    const sim = new ModbusTcpSimulator();
    const { port } = await sim.listen(0);
    cleanups.push(() => sim.close());
    const unit = sim.unit(1);
    unit.holding.set([1, 2, 0, 0, 5, 0, 7, 8, 0, 10]);
    // Registers 4 and 5 are not mapped in the device; the planner merged across them.
    unit.rules = [{ area: 'holding', start: 4, count: 2, code: 2 }];
    const rec = recorder();
    const { log, lines } = capturingLogger();
    const plan = { blocks: [{ area: 'holding' as const, start: 0, count: 10 }] };
    const atoms = atomsForPlan(plan, [
      { area: 'holding', address: 0, registers: 2 },
      { area: 'holding', address: 4, registers: 1 },
      { area: 'holding', address: 5, registers: 1 },
      { area: 'holding', address: 6, registers: 2 },
      { area: 'holding', address: 9, registers: 1 },
    ]);
    const driver = createModbusTcpDriver(
      {
        device: 'plc',
        host: '127.0.0.1',
        port,
        unitId: 1,
        timeoutMs: 200,
        pollIntervalMs: 10,
        plan,
        atoms,
        log,
      },
      rec.events,
    );
    cleanups.push(() => driver.stop());
    await driver.start();
    const first = await rec.until(() => true);
    expect(registersOf(first.results[0])).toEqual([1, 2, 0, 0, 0, 0, 7, 8, 0, 10]);
    expect(
      first.unreadable.map(({ start, count, failure }) => ({ start, count, code: failure.exception })),
    ).toEqual([
      { start: 4, count: 1, code: 2 },
      { start: 5, count: 1, code: 2 },
    ]);
    const requestsAfterFirst = sim.requests;
    await rec.until(() => rec.readings.length >= 6);
    const polls = rec.readings.length - 1;
    // Later polls read only the readable parts found, 0..1 and 6..9: the search is not repeated.
    expect(sim.requests - requestsAfterFirst).toBeGreaterThanOrEqual(2 * (polls - 1));
    expect(sim.requests - requestsAfterFirst).toBeLessThanOrEqual(2 * (polls + 1));
    for (const reading of rec.readings) expect(reading.unreadable).toHaveLength(2);
    expect(driver.stats().splitBlocks).toBe(1);
    expect(lines.filter((l) => l.msg.includes('read in'))).toHaveLength(1);
  });
});
