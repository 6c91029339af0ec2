/**
 * `fieldbridge demo`: the gateway's main job on built-in defaults, with nothing else installed — a
 * simulated PLC (Modbus TCP on 127.0.0.1, values driven by the example mapping itself), an embedded MQTT
 * broker, and the real gateway (real config loader, LevelDB queue in a temp dir, QoS 1 publisher) in
 * between. Prints every message the broker delivers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'mqtt';
import type { Output } from '../cli.ts';
import { loadConfig } from '../config/load.ts';
import { formatProblems } from '../config/problems.ts';
import { startEmbeddedBroker } from '../demo/embedded-broker.ts';
import { startSimulatedPlc } from '../demo/simulated-plc.ts';
import { Gateway } from '../gateway.ts';
import { createLogger, type LogOptions } from '../log.ts';

export const DEMO_MAPPING = fileURLToPath(new URL('../../mappings/examples/demo-plc.json', import.meta.url));

export interface DemoOptions {
  readonly forSeconds?: number | undefined;
  readonly quiet?: boolean;
  readonly log?: LogOptions;
}

export async function runDemo(options: DemoOptions, out: Output): Promise<number> {
  const log = createLogger({ ...options.log, stderr: true });
  const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-demo-'));
  const broker = await startEmbeddedBroker();
  const plc = await startSimulatedPlc(DEMO_MAPPING, log);
  log.info(
    'demo: simulated PLC on 127.0.0.1:%d, embedded MQTT broker at %s, state in %s',
    plc.port,
    broker.url,
    dir,
  );

  const configPath = join(dir, 'gateway.json');
  await writeFile(configPath, JSON.stringify(demoConfig(dir, broker.url, plc.port), null, 2));
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    for (const line of formatProblems(loaded.problems)) out.error(line);
    await Promise.all([plc.stop(), broker.close()]);
    return 1;
  }

  const topics = new Set<string>();
  let received = 0;
  const subscriber = connect(broker.url, { clientId: 'fieldbridge-demo-viewer', reconnectPeriod: 500 });
  subscriber.on('error', (error) => log.warn({ err: error }, 'demo viewer: %s', error.message));
  subscriber.on('message', (topic, payload) => {
    received++;
    topics.add(topic);
    if (options.quiet !== true) out.log(`${topic}  ${payload.toString()}`);
  });
  await subscriber.subscribeAsync('fieldbridge/#', { qos: 1 });

  const gateway = new Gateway({ loaded: loaded.config, log });
  await gateway.start();
  const started = Date.now();

  await new Promise<void>((done) => {
    const timer = options.forSeconds === undefined ? undefined : setTimeout(done, options.forSeconds * 1000);
    const onSignal = () => {
      clearTimeout(timer);
      done();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  await gateway.stop();
  await subscriber.endAsync();
  await Promise.all([plc.stop(), broker.close()]);
  await rm(dir, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  out.log(`demo: received ${received} messages on ${topics.size} topics in ${seconds} s`);
  return received > 0 ? 0 : 1;
}

/** The demo's gateway config: the simulated PLC twice, per tag every second and as a batch every 5 s. */
function demoConfig(stateDir: string, brokerUrl: string, plcPort: number): Record<string, unknown> {
  const plc = { driver: 'modbus-tcp', host: '127.0.0.1', port: plcPort, unitId: 1, mapping: DEMO_MAPPING };
  return {
    gateway: { id: 'demo', stateDir },
    mqtt: { url: brokerUrl, protocolVersion: 4, topicPrefix: 'fieldbridge' },
    queue: { type: 'level' },
    devices: [
      { name: 'skid1', ...plc, pollIntervalMs: 1000 },
      { name: 'skid1-batch', ...plc, pollIntervalMs: 5000, batch: true },
    ],
  };
}
