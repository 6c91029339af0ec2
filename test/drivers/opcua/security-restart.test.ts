import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCertificates, rejectedDir, trustedDir } from '../../../drivers/opcua/pki.ts';
import { runOpcuaTrust } from '../../../gateway/commands/opcua.ts';
import { type DeviceInstance, instantiate } from '../../../gateway/devices/device-plugin.ts';
import { opcUaPlugin } from '../../../gateway/devices/opcua.ts';
import type { OpcUaDeviceConfig } from '../../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../../mappings/opcua/schema.ts';
import {
  OPERATOR,
  OPERATOR_PASSWORD,
  PLANT_NS,
  startOpcUaServer,
  type TestOpcUaServer,
} from '../../helpers/opcua-server.ts';
import { type Collector, createCollector } from './collector.ts';

const mapping: OpcUaMapping = {
  groups: [
    {
      name: 'sub',
      mode: 'subscription',
      publishingIntervalMs: 100,
      tags: [
        { name: 'counter', nodeId: `nsu=${PLANT_NS};s=Counter`, publish: { mode: 'always' } },
        { name: 'text', nodeId: `nsu=${PLANT_NS};s=String` },
      ],
    },
    {
      name: 'poll',
      mode: 'poll',
      pollIntervalMs: 100,
      tags: [{ name: 'polledCounter', nodeId: `nsu=${PLANT_NS};s=Counter` }],
    },
  ],
};

describe('OPC UA driver: SignAndEncrypt, trust, and server restarts', () => {
  let dir: string;
  let stateDir: string;
  let server: TestOpcUaServer;
  let collector: Collector;
  let instance: DeviceInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-opcua-security-'));
    stateDir = join(dir, 'state');
    server = await startOpcUaServer({ dir });
    collector = createCollector();
    const device: OpcUaDeviceConfig = {
      name: 'secure-plc',
      driver: 'opcua',
      endpoint: server.endpoint,
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      user: { username: OPERATOR, password: { env: 'TEST_OPCUA_PASSWORD' } },
      applicationUri: 'urn:test:fieldbridge',
      mapping: 'secure.json',
    };
    const context = { stateDir, env: { TEST_OPCUA_PASSWORD: OPERATOR_PASSWORD } };
    instance = instantiate(opcUaPlugin.compile(device, mapping, collector.log, context), collector);
    await instance.driver.start();
  });

  afterAll(async () => {
    await instance?.driver.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses the untrusted server certificate, saves it in rejected/ and logs the trust command', async () => {
    await collector.waitFor('a rejected certificate', () =>
      collector.logLines.some((l) => l.includes('fieldbridge opcua trust')),
    );
    const rejected = await listCertificates(rejectedDir(stateDir));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.applicationUri).toBe('urn:fieldbridge:test:server');
    const line = collector.logLines.find((l) => l.includes('fieldbridge opcua trust')) ?? '';
    expect(line).toContain(`fieldbridge opcua trust ${stateDir} ${rejected[0]?.fingerprint}`);
    expect(collector.states).not.toContain('connected');
    const counter = collector.latest.get('counter');
    expect(counter).toMatchObject({ quality: 'bad', code: 0x801a0000 });
    // The password never reaches a log line.
    expect(collector.logLines.join('\n')).not.toContain(OPERATOR_PASSWORD);
  });

  it('connects with SignAndEncrypt + Basic256Sha256 + user name once the certificate is trusted', async () => {
    const [rejected] = await listCertificates(rejectedDir(stateDir));
    const fingerprint = rejected?.fingerprint ?? 'none';
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
    expect(await runOpcuaTrust([stateDir, '--list'], out)).toBe(0);
    expect(lines.join('\n')).toContain(fingerprint);
    expect(await runOpcuaTrust([stateDir, 'ffffffffffff'], out)).toBe(1);
    expect(lines.at(-1)).toContain('no rejected certificate matches "ffffffffffff"');
    expect(await runOpcuaTrust([stateDir, fingerprint.slice(0, 12)], out)).toBe(0);
    expect(await readdir(rejectedDir(stateDir))).toHaveLength(0);
    expect((await listCertificates(trustedDir(stateDir))).map((c) => c.fingerprint)).toEqual([fingerprint]);
    await collector.waitFor(
      'good values',
      () =>
        collector.latest.get('counter')?.quality === 'good' &&
        collector.latest.get('text')?.quality === 'good',
      30_000,
    );
    expect(collector.latest.get('text')?.value).toBe('héllo');
    expect(collector.states).toContain('connected');
  });

  it('resumes after the server restarts with its namespaces reordered', async () => {
    const before = server.plantIndex;
    const statesBefore = collector.states.length;
    const restartedAt = Date.now();
    await server.restart({ reorderNamespaces: true });
    expect(server.plantIndex).not.toBe(before);
    await collector.waitFor(
      'values after the restart',
      () =>
        collector.states.slice(statesBefore).includes('connected') &&
        ['counter', 'text', 'polledCounter'].every((n) => {
          const sample = collector.latest.get(n);
          return sample?.quality === 'good' && sample.ts >= restartedAt;
        }),
      30_000,
    );
    // The loss was reported, and the string tag (same node, now under another namespace index) is right.
    expect(collector.states.slice(statesBefore)).toContain('disconnected');
    expect(collector.latest.get('text')?.value).toBe('héllo');
  }, 40_000);
});
