/**
 * Acceptance: Sign and SignAndEncrypt with user name + password through `fieldbridge run`, trusting both
 * ways as docs/opcua.md tells an operator to, against a test server in its own process that refuses
 * client certificates nobody trusted:
 * 1. the gateway refuses the server's certificate: every tag bad with BadCertificateUntrusted and the
 *    fingerprint, the log line says which command trusts it;
 * 2. `fieldbridge opcua trust <stateDir> --list`, then `… <fingerprint>` (CLI child processes);
 * 3. the server refuses the gateway's certificate: tags bad with the server's status code and the file
 *    to have trusted; the server's administrator trusts it;
 * 4. values arrive on both devices, by subscription and by poll, with no restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownCertificateFile, readCertificate } from '../../drivers/opcua/pki.ts';
import type { OpcUaMapping } from '../../mappings/opcua/schema.ts';
import { LEVEL } from '../helpers/gateway-process.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { OPERATOR, OPERATOR_PASSWORD } from '../helpers/opcua-server.ts';
import { expectAgreement } from './agreement.ts';
import { tableRows } from './cli.ts';
import { type AcceptanceGateway, expectNoUnexpectedErrors, startAcceptanceGateway } from './harness.ts';
import { deviceMessages, expectStamps, type TagMessage, waitForOnline } from './messages.ts';
import { type MqttSub, startMqttSub } from './mqtt-sub.ts';
import {
  BAD_CERTIFICATE_UNTRUSTED,
  BAD_SECURITY_CHECKS_FAILED,
  EXPECTED,
  expectAllTypes,
  FAST_PUBLISH,
  NO_STALE_MS,
  tagsFor,
} from './opcua-scenario.ts';
import { type OpcUaServerProcess, startOpcUaServerProcess } from './peers/opcua-server-peer.ts';

const MAPPING_FILE = 'mappings/secure.json';
const DEVICES = [
  { name: 'signed', securityMode: 'Sign', securityPolicy: 'Basic256Sha256' },
  { name: 'sealed', securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss' },
] as const;

const mapping: OpcUaMapping = {
  publish: FAST_PUBLISH,
  groups: [
    { name: 'pushed', mode: 'subscription', publishingIntervalMs: 100, tags: tagsFor('s_') },
    { name: 'polled', mode: 'poll', pollIntervalMs: 100, tags: tagsFor('p_') },
  ],
};
const TAG_COUNT = 2 * Object.keys(EXPECTED).length;
const BACKOFF_MAX_MS = 30_000;

describe("OPC UA Sign / SignAndEncrypt + user name through 'fieldbridge run', trusting both ways", () => {
  let dir: string;
  let broker: Mosquitto;
  let server: OpcUaServerProcess;
  let sub: MqttSub;
  let gw: AcceptanceGateway;
  let boot = '';
  let serverStartedAt = 0;
  let serverFingerprint = '';

  /** Resolves once every tag of `device` has a message matching `predicate`; returns the latest of each. */
  const everyTag = (device: string, what: string, predicate: (m: TagMessage) => boolean) =>
    sub.waitUntil(
      () => {
        const latest = new Map<string, TagMessage>();
        for (const m of deviceMessages(sub, gw.topicPrefix, device)) if (predicate(m)) latest.set(m.topic, m);
        return latest.size === TAG_COUNT ? [...latest.values()] : undefined;
      },
      `${what} on every tag of ${device}`,
      30_000,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-acc-opcua-secure-'));
    serverStartedAt = Date.now();
    [broker, server] = await Promise.all([
      startMosquitto(),
      startOpcUaServerProcess({ dir: join(dir, 'server'), untrusting: true }),
    ]);
    serverFingerprint = (await readCertificate(server.certificateFile)).fingerprint;
    sub = await startMqttSub({ broker, topics: ['acc/#'] });
    gw = await startAcceptanceGateway({
      broker,
      devices: DEVICES.map((d) => ({
        ...d,
        driver: 'opcua',
        endpoint: server.endpoint,
        user: { username: OPERATOR, password: { env: 'PLANT_OPCUA_PASSWORD' } },
        applicationUri: 'urn:acceptance:fieldbridge',
        mapping: MAPPING_FILE,
        staleAfterMs: NO_STALE_MS,
      })),
      mappings: { [MAPPING_FILE]: mapping },
      env: { PLANT_OPCUA_PASSWORD: OPERATOR_PASSWORD },
    });
    boot = await waitForOnline(sub, gw.statusTopic, gw.gatewayId);
  });

  afterAll(async () => {
    await gw?.dispose();
    await sub?.close();
    await server?.stop();
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses the untrusted server certificate: every tag bad with BadCertificateUntrusted and its fingerprint', async () => {
    for (const { name } of DEVICES) {
      const refused = await everyTag(
        name,
        'BadCertificateUntrusted',
        (m) => m.code === BAD_CERTIFICATE_UNTRUSTED,
      );
      for (const message of refused) {
        expect(message).toMatchObject({ quality: 'bad', value: null });
        expect(message.error).toContain(`SHA-1 ${serverFingerprint}`);
        expectStamps(message, { boot, notBefore: gw.startedAt });
      }
      const line = await gw.run.waitForLog(
        (l) => l.device === name && l.level === LEVEL.warn && l.msg.includes('is not trusted'),
        5000,
        `the untrusted-certificate warning of ${name}`,
      );
      expect(line.msg).toContain(
        `To trust it run "fieldbridge opcua trust ${gw.prepared.stateDir} ${serverFingerprint}"`,
      );
    }
    const status = await gw.apiStatus();
    for (const device of status.devices) {
      // Between two attempts, or in one: never connected.
      expect(['disconnected', 'connecting']).toContain(device.state);
      expect(device.lastError).toContain(serverFingerprint);
    }
  });

  it('`fieldbridge opcua trust <stateDir> --list`, then `… <fingerprint>`', async () => {
    const stateDir = gw.prepared.stateDir;
    const list = await gw.cli(['opcua', 'trust', stateDir, '--list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('Rejected (not trusted) server certificates in');
    expect(list.stdout).toContain(serverFingerprint);
    const trust = await gw.cli(['opcua', 'trust', stateDir, serverFingerprint]);
    expect(trust.code, trust.stderr).toBe(0);
    expect(trust.stdout).toContain(`(SHA-1 ${serverFingerprint})`);
  });

  it("then the server refuses the gateway's certificate: the tags name its status code and the file to trust", async () => {
    const own = ownCertificateFile(gw.prepared.stateDir);
    const ownFingerprint = (await readCertificate(own)).fingerprint;
    for (const { name } of DEVICES) {
      const refused = await everyTag(
        name,
        'BadSecurityChecksFailed',
        (m) => m.code === BAD_SECURITY_CHECKS_FAILED,
      );
      for (const message of refused) {
        expect(message.quality).toBe('bad');
        expect(message.error).toContain('BadSecurityChecksFailed (0x80130000)');
        expect(message.error).toContain(
          `have ${own} (SHA-1 ${ownFingerprint}, applicationUri urn:acceptance:fieldbridge) trusted on the server`,
        );
      }
    }
    expect(await server.rejectedClientFingerprints()).toContain(ownFingerprint);
    // The server's administrator trusts the file the message names.
    await server.trustClientCertificate(own);
  });

  for (const { name, securityMode } of DEVICES) {
    for (const [prefix, group] of [
      ['s_', 'subscription'],
      ['p_', 'poll'],
    ] as const) {
      it(`${securityMode} (${name}), ${group} group: every type arrives good, with no restart`, {
        timeout: 60_000,
      }, async () => {
        // The server's trust is not something the gateway can watch: the next attempt comes with the
        // reconnect backoff (at most 30 s).
        const stamps = { boot, notBefore: serverStartedAt };
        await expectAllTypes(sub, gw, name, prefix, stamps, undefined, BACKOFF_MAX_MS + 15_000);
      });
    }
  }

  it("`fieldbridge read` from another directory uses the config's state dir, so the trust made for the gateway", {
    timeout: 90_000,
  }, async () => {
    // Run from `dir`, which has no ./state: only the config's gateway.stateDir holds the trusted certificate.
    const result = await gw.cli(['read', gw.prepared.configPath, 'sealed'], {
      cwd: dir,
      env: { PLANT_OPCUA_PASSWORD: OPERATOR_PASSWORD },
      timeoutMs: 60_000,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const rows = tableRows(result.stdout, ['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR']);
    expect(rows).toHaveLength(TAG_COUNT);
    for (const row of rows) expect(row.QUALITY, row.TAG).toBe('good');
    expect(rows.find((r) => r.TAG === 's_Int64Big')?.VALUE).toBe('"9007199254740993"');
    expect(result.stdout + result.stderr).not.toContain(OPERATOR_PASSWORD);
  });

  it('/metrics, /api/status and `fieldbridge status` agree; both devices connected, the gateway ready', async () => {
    const status = await expectAgreement(gw, sub, { boot });
    expect(status.gateway.ready).toBe(true);
    expect(status.devices.map((d) => [d.name, d.state])).toEqual(DEVICES.map((d) => [d.name, 'connected']));
    // One process all along: trusting needed no restart.
    expect(gw.prepared.runs).toHaveLength(1);
  });

  it('logged no error; the password reached no log line and no status output', async () => {
    expectNoUnexpectedErrors(gw.run);
    expect(JSON.stringify(gw.run.logs)).not.toContain(OPERATOR_PASSWORD);
    expect(JSON.stringify(await gw.apiStatus())).not.toContain(OPERATOR_PASSWORD);
    expect((await gw.statusCli()).stdout).not.toContain(OPERATOR_PASSWORD);
  });
});
