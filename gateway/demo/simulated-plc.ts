/**
 * A simulated PLC on 127.0.0.1: the fast Modbus TCP simulator, with unit 1's registers driven by the
 * process model of a mapping file (values change every 200 ms).
 */
import { readFile } from 'node:fs/promises';
import type { ModbusMapping } from '../../mappings/schema.ts';
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import type { Logger } from '../log.ts';
import { compileProcessModel } from './simulated-plc-process.ts';

export interface SimulatedPlc {
  readonly port: number;
  readonly simulator: ModbusTcpSimulator;
  stop(): Promise<void>;
}

export async function startSimulatedPlc(
  mappingFile: string,
  log: Logger,
  tickMs = 200,
): Promise<SimulatedPlc> {
  const mapping = JSON.parse(await readFile(mappingFile, 'utf8')) as ModbusMapping;
  const step = compileProcessModel(mapping);
  const simulator = new ModbusTcpSimulator();
  const unit = simulator.unit(1);
  const started = Date.now();
  step(unit, 0);
  const timer = setInterval(() => step(unit, (Date.now() - started) / 1000), tickMs);
  const { port } = await simulator.listen(0, '127.0.0.1');
  log.debug('simulated PLC for %s on 127.0.0.1:%d', mappingFile, port);
  return {
    port,
    simulator,
    stop: async () => {
      clearInterval(timer);
      await simulator.close();
    },
  };
}
