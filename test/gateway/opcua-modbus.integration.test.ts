/**
 * One gateway, two protocols, real peers on 127.0.0.1: a node-opcua server (test/helpers/opcua-server.ts,
 * securityMode None for speed; the secure paths have their own tests in test/drivers/opcua/) and the
 * Modbus TCP simulator, through the real config loader, queue and publisher, to a real Mosquitto. Both
 * devices' tags must arrive with their values and good quality.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { createLogger } from '../../gateway/log.ts';
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { PLANT_NS, startOpcUaServer, type TestOpcUaServer } from '../helpers/opcua-server.ts';
import { type Subscriber, startSubscriber } from '../helpers/subscriber.ts';

const OPCUA_MAPPING = {
  groups: [
    {
      name: 'values',
      mode: 'subscription',
      publishingIntervalMs: 100,
      tags: [
        { name: 'double', nodeId: `nsu=${PLANT_NS};s=Double`, unit: 'bar' },
        { name: 'text', nodeId: `nsu=${PLANT_NS};s=String` },
      ],
    },
    {
      name: 'polled',
      mode: 'poll',
      pollIntervalMs: 100,
      tags: [{ name: 'int32', nodeId: `nsu=${PLANT_NS};s=Int32`, scale: 0.5 }],
    },
  ],
};
const MODBUS_MAPPING = {
  tags: [
    { name: 'level', area: 'holding', address: 0, type: 'uint16', unit: 'mm' },
    { name: 'running', area: 'coil', address: 0, type: 'bool' },
  ],
};
const EXPECTED: Record<string, unknown> = {
  'e2e/line/double': 3.25,
  'e2e/line/text': 'héllo',
  'e2e/line/int32': -1000000000,
  'e2e/skid/level': 1234,
  'e2e/skid/running': true,
};

describe('gateway with an OPC UA and a Modbus TCP device', () => {
  let dir: string;
  let server: TestOpcUaServer;
  const simulator = new ModbusTcpSimulator();
  let broker: Mosquitto;
  let subscriber: Subscriber;
  let gateway: Gateway | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fb-opcua-modbus-'));
    [server, broker] = await Promise.all([startOpcUaServer({ dir }), startMosquitto()]);
    simulator.unit(1).holding[0] = 1234;
    simulator.unit(1).coils[0] = 1;
    const { port } = await simulator.listen(0);
    subscriber = await startSubscriber({ url: broker.url, topics: ['e2e/#'] });
    await writeFile(join(dir, 'line.json'), JSON.stringify(OPCUA_MAPPING));
    await writeFile(join(dir, 'skid.json'), JSON.stringify(MODBUS_MAPPING));
    await writeFile(
      join(dir, 'gateway.json'),
      JSON.stringify({
        gateway: { id: 'e2e-gw', stateDir: join(dir, 'state') },
        mqtt: { url: broker.url, topicPrefix: 'e2e' },
        queue: { type: 'memory' },
        devices: [
          {
            name: 'line',
            driver: 'opcua',
            endpoint: server.endpoint,
            securityMode: 'None',
            allowInsecure: true,
            mapping: 'line.json',
          },
          {
            name: 'skid',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port,
            pollIntervalMs: 100,
            mapping: 'skid.json',
          },
        ],
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await subscriber?.close();
    await simulator.close();
    await Promise.all([server?.stop(), broker?.dispose()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers both devices' tags with their values and good quality", async () => {
    const loaded = await loadConfig(join(dir, 'gateway.json'), { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.devices.map((d) => d.kind)).toEqual(['opcua', 'modbus']);
    gateway = new Gateway({ loaded: loaded.config, log: createLogger({ level: 'warn', pretty: false }) });
    await gateway.start();

    const latest = new Map<string, Record<string, unknown>>();
    await subscriber.waitFor(() => {
      for (const m of subscriber.messages) latest.set(m.topic, JSON.parse(m.payload.toString()));
      return Object.keys(EXPECTED).every((topic) => latest.get(topic)?.quality === 'good');
    }, 20_000);

    for (const [topic, value] of Object.entries(EXPECTED)) {
      expect(latest.get(topic), topic).toMatchObject({ value, quality: 'good' });
    }
    expect(latest.get('e2e/line/double')?.unit).toBe('bar');
    expect(latest.get('e2e/skid/level')?.unit).toBe('mm');
    expect(gateway.status().devices.map((d) => [d.name, d.driver, d.state])).toEqual([
      ['line', 'opcua', 'connected'],
      ['skid', 'modbus-tcp', 'connected'],
    ]);
  });
});
