/**
 * The whole path against real peers on 127.0.0.1: Modbus TCP simulator with known register contents →
 * gateway (real config loader, LevelDB queue, QoS 1 publisher) → a real Mosquitto (plain and TLS) → a
 * subscriber that checks topics, typed values, quality and order. A second device that is down must only
 * make its own tags bad.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { createLogger } from '../../gateway/log.ts';
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import { makeCerts, type TestCerts } from '../helpers/certs.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { type ReceivedMessage, startSubscriber } from '../helpers/subscriber.ts';

const MAPPING = fileURLToPath(new URL('../fixtures/integration/plc-known.json', import.meta.url));

/** Register contents written as raw words, independent of the codec under test. */
function loadKnownRegisters(simulator: ModbusTcpSimulator): void {
  const unit = simulator.unit(1);
  unit.holding.set([0x41ac, 0x0000], 0); // float32 21.5, ABCD
  unit.holding[2] = 0xfffb; // int16 -5 → × 0.1 = -0.5
  unit.holding.set([0x86a0, 0x0001], 3); // uint32 100000, CDAB (low word first)
  unit.holding[5] = 0b1000; // bit 3 set
  unit.holding.set([0x1000, 0x0000, 0x0000, 0x0001], 10); // uint64 2^60 + 1: beyond 2^53
  unit.coils[0] = 1;
  unit.discrete[1] = 1;
  unit.input.set([0x4142, 0x3132, 0x0000], 0); // "AB12" + NUL padding
  unit.input[5] = 0x4711; // BCD 4711
}

const EXPECTED: Record<string, unknown> = {
  temperature: 21.5,
  pressure: -0.5,
  batch_count: 100000,
  energy_wh: '1152921504606846977',
  alarm: true,
  running: true,
  door_closed: true,
  serial: 'AB12',
  recipe: 4711,
};

interface Harness {
  gateway: Gateway;
  dir: string;
  close(): Promise<void>;
}

async function startGateway(options: {
  broker: Mosquitto;
  plcPort: number;
  downPort: number;
  tls?: Record<string, unknown>;
}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-int-'));
  const configFile = join(dir, 'gateway.json');
  const device = (name: string, port: number) => ({
    name,
    driver: 'modbus-tcp',
    host: '127.0.0.1',
    port,
    unitId: 1,
    pollIntervalMs: 100,
    timeoutMs: 300,
    staleAfterMs: 60_000,
    mapping: MAPPING,
  });
  await writeFile(
    configFile,
    JSON.stringify({
      gateway: { id: 'itest', stateDir: dir },
      mqtt: {
        url: options.broker.url,
        topicPrefix: 'itest',
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      },
      queue: { type: 'level' },
      devices: [device('plc1', options.plcPort), device('plc2', options.downPort)],
    }),
  );
  const loaded = await loadConfig(configFile);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gateway = new Gateway({ loaded: loaded.config, log: createLogger({ level: 'warn', pretty: false }) });
  await gateway.start();
  return {
    gateway,
    dir,
    close: async () => {
      await gateway.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function json(message: ReceivedMessage): Record<string, unknown> {
  return JSON.parse(message.payload.toString()) as Record<string, unknown>;
}

describe('gateway end to end', () => {
  const simulator = new ModbusTcpSimulator();
  let plcPort = 0;
  let downPort = 0;
  let certs: TestCerts;
  const brokers: Mosquitto[] = [];
  let dir = '';

  beforeAll(async () => {
    loadKnownRegisters(simulator);
    plcPort = (await simulator.listen(0)).port;
    // A port that was free a moment ago and has nothing listening: the "device down" case.
    const probe = new ModbusTcpSimulator();
    downPort = (await probe.listen(0)).port;
    await probe.close();
    dir = await mkdtemp(join(tmpdir(), 'fb-int-certs-'));
    certs = await makeCerts(dir);
  });

  afterAll(async () => {
    await simulator.close();
    await Promise.all(brokers.map((b) => b.dispose()));
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers every tag with its typed value and good quality; a down device only marks its own tags bad', async () => {
    const broker = await startMosquitto();
    brokers.push(broker);
    const subscriber = await startSubscriber({ url: broker.url, topics: ['itest/#'] });
    const harness = await startGateway({ broker, plcPort, downPort });
    try {
      const lastByTopic = new Map<string, Record<string, unknown>>();
      const plc1Count = () => subscriber.messages.filter((m) => m.topic.startsWith('itest/plc1/')).length;
      await subscriber.waitFor(() => {
        for (const m of subscriber.messages)
          if (m.topic !== 'itest/itest/status') lastByTopic.set(m.topic, json(m));
        return Object.keys(EXPECTED).every(
          (tag) => lastByTopic.has(`itest/plc1/${tag}`) && lastByTopic.has(`itest/plc2/${tag}`),
        );
      }, 15_000);

      for (const [tag, value] of Object.entries(EXPECTED)) {
        const payload = lastByTopic.get(`itest/plc1/${tag}`)!;
        expect(payload.value, `${tag}: ${String(payload.error)}`).toStrictEqual(value);
        expect(payload.quality, tag).toBe('good');
        expect(typeof payload.tsMs).toBe('number');
        expect(new Date(payload.ts as string).getTime()).toBe(payload.tsMs);
        const down = lastByTopic.get(`itest/plc2/${tag}`)!;
        expect(down.quality, tag).toBe('bad');
        expect(down.value).toBeNull();
        expect(String(down.error)).toMatch(/ECONNREFUSED|connect|refused/i);
      }
      expect(lastByTopic.get('itest/plc1/temperature')?.unit).toBe('°C');

      // plc1 keeps its poll rate while plc2 is down: "always" mode publishes every poll (100 ms).
      const before = plc1Count();
      await new Promise((r) => setTimeout(r, 1500));
      const perTagPolls = (plc1Count() - before) / Object.keys(EXPECTED).length;
      expect(perTagPolls).toBeGreaterThan(5);

      // seq is strictly increasing per topic (single ordered stream, no reordering).
      const seqs = new Map<string, number>();
      for (const m of subscriber.messages) {
        if (!m.topic.startsWith('itest/plc')) continue;
        const seq = json(m).seq as number;
        expect(seq).toBeGreaterThan(seqs.get(m.topic) ?? 0);
        seqs.set(m.topic, seq);
      }
      const status = harness.gateway.status();
      expect(status.devices.find((d) => d.name === 'plc1')?.state).toBe('connected');
      expect(status.devices.find((d) => d.name === 'plc2')?.state).not.toBe('connected');
    } finally {
      await harness.close();
      await subscriber.close();
    }
  });

  it('publishes over mutual TLS with verification on', async () => {
    const broker = await startMosquitto({ tls: { certs, requireClientCert: true } });
    brokers.push(broker);
    const subscriber = await startSubscriber({
      url: broker.url,
      topics: ['itest/plc1/temperature'],
      mqtt: {
        ca: await readPem(certs.ca.cert),
        cert: await readPem(certs.client.cert),
        key: await readPem(certs.client.key),
      },
    });
    const harness = await startGateway({
      broker,
      plcPort,
      downPort,
      tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key },
    });
    try {
      const message = await subscriber.nextOn('itest/plc1/temperature', 15_000);
      expect(json(message)).toMatchObject({ value: 21.5, quality: 'good', unit: '°C' });
    } finally {
      await harness.close();
      await subscriber.close();
    }
  });
});

async function readPem(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8');
}
