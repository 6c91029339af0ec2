/**
 * Everything one benchmark invocation shares between sides: the simulator farm, the Mosquitto (spawned
 * here on a free port, never 1883), the measuring subscriber, and the parsed options.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Mosquitto, startMosquitto } from '../../test/helpers/mosquitto.ts';
import type { CliOptions } from './cli-options.ts';
import { type MeasuringSubscriber, startMeasuringSubscriber } from './measuring-subscriber.ts';
import { createSimulatorFarm, type SimulatorFarm } from './simulator-farm.ts';

export interface BenchContext {
  readonly options: CliOptions;
  readonly farm: SimulatorFarm;
  readonly broker: Mosquitto;
  readonly subscriber: MeasuringSubscriber;
  /** Fresh temp dir per side run. */
  tempDir(label: string): Promise<string>;
  /** The broker's pid (it changes when S5 restarts the broker). */
  brokerPid(): number | undefined;
  close(): Promise<void>;
}

export async function openBenchContext(options: CliOptions): Promise<BenchContext> {
  // Persistence lets S5 restart the broker without losing the subscriber's session or its queue.
  const broker = await startMosquitto({ persistence: true });
  const farm = createSimulatorFarm();
  const subscriber = await startMeasuringSubscriber(broker.url);
  return {
    options,
    farm,
    broker,
    subscriber,
    tempDir: (label) => mkdtemp(join(tmpdir(), `fieldbridge-bench-${label}-`)),
    brokerPid: () => findPidByCmdline(`${broker.dir}/mosquitto.conf`),
    async close() {
      await subscriber.close();
      await farm.close();
      await broker.dispose();
    },
  };
}

/** The pid whose command line contains `needle` (Mosquitto's helper does not expose its child). */
function findPidByCmdline(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) return Number(entry);
    } catch {
      // The process exited while we looked.
    }
  }
  return undefined;
}
