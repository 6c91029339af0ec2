/**
 * X.509 user identity (issue 5): a user certificate the server trusts opens a session; an untrusted
 * one is refused with an error naming the device; a wrong passphrase is reported before connecting.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { absoluteConfigPaths } from '../../../gateway/config/absolute-paths.ts';
import type { GatewayConfig } from '../../../gateway/config/schema.ts';
import { type DeviceInstance, instantiate } from '../../../gateway/devices/device-plugin.ts';
import { opcUaPlugin } from '../../../gateway/devices/opcua.ts';
import { type OpcUaDeviceConfig, OpcUaDeviceSchema } from '../../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../../mappings/opcua/schema.ts';
import { PLANT_NS, startOpcUaServer, type TestOpcUaServer } from '../../helpers/opcua-server.ts';
import { type Collector, createCollector } from './collector.ts';

const run = promisify(execFile);
const PASSPHRASE = 'user-key-secret-7';

const mapping: OpcUaMapping = {
  groups: [
    {
      name: 'g',
      mode: 'poll',
      pollIntervalMs: 100,
      tags: [{ name: 'text', nodeId: `nsu=${PLANT_NS};s=String` }],
    },
  ],
};

/** A self-signed RSA user certificate; the key is encrypted when a passphrase is given. */
async function makeUserCert(dir: string, name: string, passphrase?: string) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    ...(passphrase === undefined ? ['-noenc'] : ['-passout', `pass:${passphrase}`]),
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'keyUsage=critical,digitalSignature,nonRepudiation',
  ]);
  return { cert, key };
}

describe('OPC UA X.509 user identity', () => {
  let dir: string;
  let server: TestOpcUaServer;
  let alice: { cert: string; key: string };
  let mallory: { cert: string; key: string };
  let collector: Collector;
  let instance: DeviceInstance | undefined;

  const device = (user: OpcUaDeviceConfig['user']): OpcUaDeviceConfig => ({
    name: 'cert-plc',
    driver: 'opcua',
    endpoint: server.endpoint,
    securityMode: 'None',
    allowInsecure: true,
    user,
    mapping: 'cert.json',
  });
  const start = async (config: OpcUaDeviceConfig, env: NodeJS.ProcessEnv = {}) => {
    collector = createCollector();
    const context = { stateDir: join(dir, 'state'), env };
    const started = instantiate(opcUaPlugin.compile(config, mapping, collector.log, context), collector);
    instance = started;
    await started.driver.start();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-opcua-x509-'));
    [server, alice, mallory] = await Promise.all([
      startOpcUaServer({ dir }),
      makeUserCert(dir, 'alice', PASSPHRASE),
      makeUserCert(dir, 'mallory'),
    ]);
    await server.trustUserCertificate(alice.cert);
  });

  afterEach(async () => {
    await instance?.driver.stop();
    instance = undefined;
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the config accepts the certificate form, and its paths are relative to the config file', () => {
    const user = { certificate: 'certs/u.crt', privateKey: 'certs/u.key', passphrase: { file: 'pw' } };
    expect(Value.Check(OpcUaDeviceSchema, { ...device(user), endpoint: 'opc.tcp://x:4840' })).toBe(true);
    expect(Value.Check(OpcUaDeviceSchema, { ...device(undefined), user: { certificate: 'a.crt' } })).toBe(
      false,
    );
    const config = {
      mqtt: { url: 'mqtt://127.0.0.1' },
      devices: [{ ...device(user), endpoint: 'opc.tcp://x:4840' }],
    } as unknown as GatewayConfig;
    const [resolved] = absoluteConfigPaths(config, '/etc/fieldbridge').devices;
    expect(resolved?.driver === 'opcua' && resolved.user).toEqual({
      certificate: '/etc/fieldbridge/certs/u.crt',
      privateKey: '/etc/fieldbridge/certs/u.key',
      passphrase: { file: '/etc/fieldbridge/pw' },
    });
  });

  it('a trusted user certificate (encrypted key + passphrase) opens the session', async () => {
    await start(device({ certificate: alice.cert, privateKey: alice.key, passphrase: { env: 'KEY_PW' } }), {
      KEY_PW: PASSPHRASE,
    });
    await collector.waitFor('a good value', () => collector.latest.get('text')?.quality === 'good');
    expect(collector.latest.get('text')?.value).toBe('héllo');
    expect(collector.logLines.join('\n')).not.toContain(PASSPHRASE);
  });

  it('an untrusted user certificate is refused with an error naming the device and the file', async () => {
    await start(device({ certificate: mallory.cert, privateKey: mallory.key }));
    await collector.waitFor('the refusal', () => collector.latest.get('text')?.error !== undefined);
    const error = collector.latest.get('text')?.error ?? '';
    expect(error).toContain('device "cert-plc"');
    expect(error).toContain(`refused the X.509 user certificate ${mallory.cert}`);
    expect(error).toMatch(/BadIdentityTokenRejected|BadUserAccessDenied/);
    expect(collector.latest.get('text')?.quality).toBe('bad');
    expect(collector.states).not.toContain('connected');
  });

  it('a wrong passphrase or a key of another certificate is reported before connecting', async () => {
    await start(device({ certificate: alice.cert, privateKey: alice.key, passphrase: { env: 'KEY_PW' } }), {
      KEY_PW: 'wrong',
    });
    await collector.waitFor('the key error', () => collector.latest.get('text')?.error !== undefined);
    expect(collector.latest.get('text')?.error).toContain(
      `device "cert-plc": cannot read the private key ${alice.key} of the X.509 user identity (wrong passphrase?)`,
    );
    await instance?.driver.stop();
    await start(device({ certificate: alice.cert, privateKey: mallory.key }));
    await collector.waitFor('the mismatch', () => collector.latest.get('text')?.error !== undefined);
    expect(collector.latest.get('text')?.error).toContain(
      `the private key ${mallory.key} does not belong to the user certificate ${alice.cert}`,
    );
  });
});
