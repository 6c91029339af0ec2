/**
 * The shared device farm: one fast ModbusTcpSimulator per device (one 127.0.0.1 port each), all changed
 * together every period. Both sides poll the same farm, so they see the same data at the same rate.
 */
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import { BLOCK_REGISTERS, type Workload } from './workload.ts';

const GENERATION_RING = 1 << 16;

export interface SimulatorFarm {
  readonly ports: readonly number[];
  /** Makes sure `workload.devices` simulators listen and switches the change pattern to `workload`. */
  configure(workload: Workload): Promise<void>;
  /** Epoch ms when generation `gen` was written (per-tag mode), or NaN when unknown. */
  changeTimeOf(gen: number): number;
  /** Modbus requests answered so far, over all devices. */
  requests(): number;
  close(): Promise<void>;
}

export function createSimulatorFarm(): SimulatorFarm {
  const simulators: ModbusTcpSimulator[] = [];
  const ports: number[] = [];
  const changeTimes = new Float64Array(GENERATION_RING).fill(Number.NaN);
  const floatBytes = Buffer.alloc(4);
  let workload: Workload | undefined;
  let timer: NodeJS.Timeout | undefined;
  let gen = 0;

  const change = (): void => {
    const w = workload;
    if (w === undefined) return;
    gen++;
    const now = Date.now();
    changeTimes[gen % GENERATION_RING] = now;
    if (w.mode === 'block') {
      const words = [
        Math.floor(now / 2 ** 48) & 0xffff,
        Math.floor(now / 2 ** 32) & 0xffff,
        Math.floor(now / 2 ** 16) & 0xffff,
        now & 0xffff,
      ];
      for (let d = 0; d < w.devices; d++) {
        const holding = simulators[d]!.unit(1).holding;
        for (let b = 0; b < w.blocksPerDevice; b++) {
          const base = b * BLOCK_REGISTERS;
          holding.set(words, base);
          for (let i = 4; i < BLOCK_REGISTERS; i++) holding[base + i] = (gen + i) & 0xffff;
        }
      }
    } else {
      floatBytes.writeFloatBE(gen);
      const hi = floatBytes.readUInt16BE(0);
      const lo = floatBytes.readUInt16BE(2);
      for (let d = 0; d < w.devices; d++) {
        const holding = simulators[d]!.unit(1).holding;
        for (let t = 0; t < w.tagsPerDevice; t++) {
          holding[2 * t] = hi;
          holding[2 * t + 1] = lo;
        }
      }
    }
  };

  return {
    ports,
    async configure(next) {
      while (simulators.length < next.devices) {
        const simulator = new ModbusTcpSimulator();
        const { port } = await simulator.listen(0);
        simulators.push(simulator);
        ports.push(port);
      }
      workload = next;
      clearInterval(timer);
      change();
      timer = setInterval(change, next.pollIntervalMs);
    },
    changeTimeOf(g) {
      return changeTimes[g % GENERATION_RING]!;
    },
    requests() {
      return simulators.reduce((sum, s) => sum + s.requests, 0);
    },
    async close() {
      clearInterval(timer);
      await Promise.all(simulators.map((s) => s.close()));
    },
  };
}
