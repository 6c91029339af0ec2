import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpcuaBrowse } from '../../../gateway/commands/opcua.ts';
import { type DeviceInstance, instantiate } from '../../../gateway/devices/device-plugin.ts';
import { opcUaPlugin } from '../../../gateway/devices/opcua.ts';
import type { OpcUaDeviceConfig } from '../../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../../mappings/opcua/schema.ts';
import { PLANT_NS, startOpcUaServer, TEST_DATE, type TestOpcUaServer } from '../../helpers/opcua-server.ts';
import { type Collector, createCollector } from './collector.ts';

/** Every supported type, with the JSON it must arrive as. */
const EXPECTED: Record<string, unknown> = {
  Bool: true,
  SByte: -12,
  Byte: 200,
  Int16: -30000,
  UInt16: 60000,
  Int32: -2000000000,
  UInt32: 4000000000,
  Int64Small: -2,
  Int64Big: '9007199254740993',
  UInt64Big: '18446744073709551615',
  Float: 1.5,
  Double: 3.25,
  String: 'héllo',
  DateTime: TEST_DATE.toISOString(),
  ByteString: Buffer.from([1, 2, 3, 250]).toString('base64'),
  LocalizedText: 'Running',
  DoubleArray: [1.5, 2.5, -3],
  Int32Array: [1, -2, 3],
};

function tagsFor(prefix: string) {
  return [
    ...Object.keys(EXPECTED).map((name) => ({
      name: `${prefix}${name}`,
      nodeId: `nsu=${PLANT_NS};s=${name}`,
    })),
    { name: `${prefix}DoubleNaN`, nodeId: `nsu=${PLANT_NS};s=DoubleNaN` },
    { name: `${prefix}Missing`, nodeId: `nsu=${PLANT_NS};s=NoSuchNode` },
    { name: `${prefix}NoNamespace`, nodeId: 'nsu=urn:nobody:here;s=Anything' },
    { name: `${prefix}Scaled`, nodeId: `nsu=${PLANT_NS};s=Int16`, scale: 0.1, decimals: 1 },
  ];
}

describe('OPC UA driver against a node-opcua server: values and quality', () => {
  let dir: string;
  let server: TestOpcUaServer;
  let collector: Collector;
  let instance: DeviceInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-opcua-values-'));
    server = await startOpcUaServer({ dir });
    collector = createCollector();
    const mapping: OpcUaMapping = {
      groups: [
        { name: 'fast', mode: 'subscription', publishingIntervalMs: 100, tags: tagsFor('sub.') },
        { name: 'slow', mode: 'poll', pollIntervalMs: 200, tags: tagsFor('poll.') },
      ],
    };
    const device: OpcUaDeviceConfig = {
      name: 'plc1',
      driver: 'opcua',
      endpoint: server.endpoint,
      securityMode: 'None',
      allowInsecure: true,
      mapping: 'plc1.json',
    };
    const context = { stateDir: join(dir, 'state'), env: {} };
    instance = instantiate(opcUaPlugin.compile(device, mapping, collector.log, context), collector);
    await instance.driver.start();
  });

  afterAll(async () => {
    await instance?.driver.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const mode of ['sub.', 'poll.']) {
    it(`${mode === 'sub.' ? 'subscription' : 'poll'} mode: every type arrives as the right JSON value, good`, async () => {
      const names = Object.keys(EXPECTED).map((n) => `${mode}${n}`);
      await collector.waitFor('all values', () =>
        names.every((n) => collector.latest.get(n)?.quality === 'good'),
      );
      for (const [name, value] of Object.entries(EXPECTED)) {
        const sample = collector.latest.get(`${mode}${name}`);
        expect(sample?.value, name).toEqual(value);
        expect(sample?.quality).toBe('good');
        expect(sample?.code).toBeUndefined();
      }
      expect(collector.latest.get(`${mode}Scaled`)?.value).toBe(-3000);
      // One Read, or one notification, is one reading: the first carries every item's value at once.
      const wanted = [...Object.keys(EXPECTED), 'DoubleNaN', 'Scaled'].map((n) => `${mode}${n}`).sort();
      expect(collector.readings.some((r) => wanted.every((n) => r.includes(n)))).toBe(true);
    });

    it(`${mode === 'sub.' ? 'subscription' : 'poll'} mode: a missing node or namespace makes only that tag bad, code kept`, async () => {
      await collector.waitFor('missing tags', () =>
        ['Missing', 'NoNamespace', 'DoubleNaN'].every(
          (n) => collector.latest.get(`${mode}${n}`) !== undefined,
        ),
      );
      const missing = collector.latest.get(`${mode}Missing`);
      expect(missing).toMatchObject({ quality: 'bad', value: null, code: 0x80340000 });
      expect(missing?.error).toContain('BadNodeIdUnknown');
      const noNamespace = collector.latest.get(`${mode}NoNamespace`);
      expect(noNamespace).toMatchObject({ quality: 'bad', value: null, code: 0x80340000 });
      expect(noNamespace?.error).toContain('urn:nobody:here');
      const nan = collector.latest.get(`${mode}DoubleNaN`);
      expect(nan).toMatchObject({ quality: 'bad', value: null });
      expect(nan?.error).toContain('not a finite number');
      expect(collector.latest.get(`${mode}Bool`)?.quality).toBe('good');
    });
  }

  it('reports connected and creates its certificate under <stateDir>/opcua/pki', async () => {
    expect(collector.states).toContain('connected');
    const { readdir } = await import('node:fs/promises');
    const own = await readdir(join(dir, 'state', 'opcua', 'pki', 'own', 'certs'));
    expect(own).toContain('client_certificate.pem');
  });

  it('opcua browse prints the tree and writes a mapping with nsu= node ids', async () => {
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
    const file = join(dir, 'browsed.json');
    const code = await runOpcuaBrowse(
      [
        server.endpoint,
        '--root',
        `ns=${server.plantIndex};s=Plant`,
        '--depth',
        '2',
        '--write',
        file,
        '--state-dir',
        join(dir, 'browse-state'),
      ],
      out,
    );
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.some((l) => l.includes('Bool') && l.includes('Variable'))).toBe(true);
    const mapping = JSON.parse(await readFile(file, 'utf8')) as OpcUaMapping;
    const tags = mapping.groups[0]?.tags ?? [];
    expect(tags).toContainEqual({ name: 'Bool', nodeId: `nsu=${PLANT_NS};s=Bool` });
    expect(tags).toHaveLength(20);
  });

  it('opcua browse --root takes an nsu= node id (looked up in the NamespaceArray) and names a missing namespace', async () => {
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
    const file = join(dir, 'browsed-nsu.json');
    const state = ['--state-dir', join(dir, 'browse-state')];
    const root = `nsu=${PLANT_NS};s=Plant`;
    const code = await runOpcuaBrowse([server.endpoint, '--root', root, '--write', file, ...state], out);
    expect(code, lines.join('\n')).toBe(0);
    expect(lines[0]).toBe(root);
    const mapping = JSON.parse(await readFile(file, 'utf8')) as OpcUaMapping & { description?: string };
    expect(mapping.groups[0]?.tags).toHaveLength(20);
    expect(mapping.groups[0]?.tags).toContainEqual({ name: 'Counter', nodeId: `nsu=${PLANT_NS};s=Counter` });

    lines.length = 0;
    const missing = await runOpcuaBrowse(
      [server.endpoint, '--root', 'nsu=urn:nobody;s=Plant', ...state],
      out,
    );
    expect(missing).toBe(1);
    expect(lines.at(-1)).toContain(
      `E fieldbridge opcua browse: --root nsu=urn:nobody;s=Plant: ${server.endpoint} has no namespace "urn:nobody" (it has: http://opcfoundation.org/UA/,`,
    );
    lines.length = 0;
    expect(await runOpcuaBrowse([server.endpoint, '--root', 'nsu=;s=x', ...state], out)).toBe(2);
    expect(lines.at(-1)).toBe(
      'E fieldbridge opcua browse: --root: node id "nsu=;s=x": empty namespace URI after "nsu="',
    );
  });
});
