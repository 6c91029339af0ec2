/**
 * Certificates refused by either side (issue 11), against the test server in its own process (so that
 * its node-opcua log lines cannot mix with the driver's):
 * - the server refuses fieldbridge's certificate: node-opcua's way (a secured ServiceFault with
 *   BadSecurityChecksFailed) and open62541's (an ERR message BadCertificateUntrusted with an empty
 *   reason, reproduced by err-refusal-proxy.ts): the log line and the tags' error name the status code
 *   and the file to have trusted on the server; the tags carry the server's code;
 * - several devices refusing the same untrusted server certificate: every message carries its
 *   fingerprint, and node-opcua's own lines carry the device they came from.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownCertificateFile, readCertificate, trustedDir } from '../../../drivers/opcua/pki.ts';
import { runOpcuaBrowse } from '../../../gateway/commands/opcua.ts';
import { type DeviceInstance, instantiate } from '../../../gateway/devices/device-plugin.ts';
import { opcUaPlugin } from '../../../gateway/devices/opcua.ts';
import type { OpcUaDeviceConfig } from '../../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../../mappings/opcua/schema.ts';
import {
  type OpcUaServerProcess,
  startOpcUaServerProcess,
} from '../../acceptance/peers/opcua-server-peer.ts';
import { PLANT_NS } from '../../helpers/opcua-server.ts';
import { type Collector, createCollector } from './collector.ts';
import { type ErrRefusalProxy, startErrRefusalProxy } from './err-refusal-proxy.ts';

const BAD_SECURITY_CHECKS_FAILED = 0x80130000;
const BAD_CERTIFICATE_UNTRUSTED = 0x801a0000;

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

interface Device {
  readonly name: string;
  readonly collector: Collector;
  readonly instance: DeviceInstance;
}

type Line = { level: number; msg: string; device?: string; source?: string };
const parsed = (collector: Collector): Line[] => collector.logLines.map((l) => JSON.parse(l) as Line);

describe('OPC UA certificates refused by the server, and by fieldbridge', () => {
  let dir: string;
  let server: OpcUaServerProcess;
  let proxy: ErrRefusalProxy;
  const devices: Device[] = [];

  /** A Sign device whose logger carries its name, as the gateway's device runner gives it. */
  const startDevice = async (name: string, endpoint: string, stateDir: string): Promise<Device> => {
    const collector = createCollector();
    const config: OpcUaDeviceConfig = {
      name,
      driver: 'opcua',
      endpoint,
      securityMode: 'Sign',
      applicationUri: `urn:test:${name}`,
      mapping: 'm.json',
    };
    const log = collector.log.child({ device: name });
    const instance = instantiate(opcUaPlugin.compile(config, mapping, log, { stateDir, env: {} }), collector);
    const device = { name, collector, instance };
    devices.push(device);
    await instance.driver.start();
    return device;
  };

  /** A state dir that already trusts the server's certificate: only the server's side is left. */
  const trustingStateDir = async (name: string): Promise<string> => {
    const stateDir = join(dir, name);
    await mkdir(trustedDir(stateDir), { recursive: true });
    await copyFile(server.certificateFile, join(trustedDir(stateDir), basename(server.certificateFile)));
    return stateDir;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-opcua-refusal-'));
    server = await startOpcUaServerProcess({ dir: join(dir, 'server'), untrusting: true });
    proxy = await startErrRefusalProxy(server.port, BAD_CERTIFICATE_UNTRUSTED);
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.instance.driver.stop()));
    await proxy?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('node-opcua server (BadSecurityChecksFailed): names the code and the certificate to trust; trusting it connects', async () => {
    const stateDir = await trustingStateDir('state-a');
    const { collector } = await startDevice('plc-a', server.endpoint, stateDir);
    await collector.waitFor(
      'the refusal',
      () => collector.latest.get('text')?.code === BAD_SECURITY_CHECKS_FAILED,
    );
    const own = await readCertificate(ownCertificateFile(stateDir));
    const error = collector.latest.get('text')?.error ?? '';
    expect(error).toContain('BadSecurityChecksFailed (0x80130000)');
    expect(error).toContain(
      `have ${ownCertificateFile(stateDir)} (SHA-1 ${own.fingerprint}, applicationUri urn:test:plc-a) trusted on the server`,
    );
    expect(collector.latest.get('text')).toMatchObject({ quality: 'bad', value: null });
    const warned = parsed(collector).filter((l) => l.level === 40 && l.source === undefined);
    expect(warned.map((l) => l.msg)).toEqual([error]);
    // What the message names is what the server refused.
    expect(await server.rejectedClientFingerprints()).toContain(own.fingerprint);

    await server.trustClientCertificate(ownCertificateFile(stateDir));
    await collector.waitFor('a good value', () => collector.latest.get('text')?.quality === 'good', 20_000);
    expect(collector.latest.get('text')?.value).toBe('héllo');
  });

  it("open62541's refusal (ERR BadCertificateUntrusted, empty reason): the code, not 'disconnected by third party'", async () => {
    const stateDir = await trustingStateDir('state-b');
    const { collector } = await startDevice('plc-b', `opc.tcp://127.0.0.1:${proxy.port}`, stateDir);
    await collector.waitFor(
      'the refusal',
      () => collector.latest.get('text')?.code === BAD_CERTIFICATE_UNTRUSTED,
    );
    expect(proxy.refusals).toBeGreaterThanOrEqual(1);
    const error = collector.latest.get('text')?.error ?? '';
    expect(error).toContain("refused fieldbridge's certificate with BadCertificateUntrusted (0x801a0000)");
    expect(error).toContain(`have ${ownCertificateFile(stateDir)} (SHA-1 `);
    expect(error).not.toContain('third party');
    // node-opcua's own line about the ERR message: at debug level (the driver explains it), from this device.
    const library = parsed(collector).filter((l) => l.msg.includes('Error message not specified'));
    expect(library.length).toBeGreaterThanOrEqual(1);
    for (const line of library)
      expect(line).toMatchObject({ level: 20, source: 'node-opcua', device: 'plc-b' });
  });

  it('several devices refusing one untrusted server: every message carries its fingerprint; node-opcua lines their device', async () => {
    const serverFingerprint = (await readCertificate(server.certificateFile)).fingerprint;
    const stateDir = join(dir, 'state-shared');
    const names = ['plc-c1', 'plc-c2', 'plc-c3'];
    const started = await Promise.all(names.map((name) => startDevice(name, server.endpoint, stateDir)));
    const untrustedLines = (d: Device) => parsed(d.collector).filter((l) => l.msg.includes('is not trusted'));
    for (const device of started) {
      // The first refusal (warn) and a repeat (debug).
      await device.collector.waitFor(
        `two refusals of ${device.name}`,
        () => untrustedLines(device).length >= 2,
      );
    }
    for (const device of started) {
      for (const line of untrustedLines(device)) {
        expect(line.msg).toContain(`SHA-1 ${serverFingerprint}`);
        expect(line.msg).toContain(`fieldbridge opcua trust ${stateDir} ${serverFingerprint}`);
      }
      expect(device.collector.latest.get('text')?.error).toContain(`SHA-1 ${serverFingerprint}`);
      expect(device.collector.latest.get('text')?.code).toBe(BAD_CERTIFICATE_UNTRUSTED);
      // node-opcua's own lines went to the logger of the device whose connection printed them.
      const library = parsed(device.collector).filter((l) => l.source === 'node-opcua');
      expect(library.some((l) => l.msg.includes('server certificate verification has failed'))).toBe(true);
      for (const line of library) expect(line.device, line.msg).toBe(device.name);
    }
  });

  it('`opcua browse` says the same: the refused certificate of either side, with the status code or fingerprint', async () => {
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
    const trusting = await trustingStateDir('state-browse');
    const proxied = `opc.tcp://127.0.0.1:${proxy.port}`;
    const secure = ['--security-mode', 'Sign'];
    expect(await runOpcuaBrowse([proxied, ...secure, '--state-dir', trusting], out)).toBe(1);
    expect(lines.at(-1)).toContain(
      `E fieldbridge opcua browse: ${proxied} refused fieldbridge's certificate with BadCertificateUntrusted (0x801a0000): have ${ownCertificateFile(trusting)}`,
    );
    const fresh = join(dir, 'state-browse-fresh');
    expect(await runOpcuaBrowse([server.endpoint, ...secure, '--state-dir', fresh], out)).toBe(1);
    const serverFingerprint = (await readCertificate(server.certificateFile)).fingerprint;
    expect(lines.at(-1)).toContain(`fieldbridge opcua trust ${fresh} ${serverFingerprint}`);
  });
});
