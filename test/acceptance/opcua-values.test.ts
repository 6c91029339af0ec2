/**
 * Acceptance: OPC UA through `fieldbridge run` against the node-opcua test server in its own process
 * (peers/opcua-server-process.ts). One device, securityMode None with user name + password, with a
 * subscription group and a poll group over every built-in type of the server, each with a node the
 * server does not have: every tag's value, JSON type, quality and stamps at mosquitto_sub; only the
 * refused tags bad, with the server's status code; /metrics, /api/status and `fieldbridge status` agree;
 * `fieldbridge read` shows the same; `opcua browse --write` → `validate` → run (added by SIGHUP reload).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpcUaMapping } from '../../mappings/opcua/schema.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { OPERATOR, OPERATOR_PASSWORD, PLANT_NS } from '../helpers/opcua-server.ts';
import { expectAgreement } from './agreement.ts';
import { tableRows } from './cli.ts';
import { type AcceptanceGateway, expectNoUnexpectedErrors, startAcceptanceGateway } from './harness.ts';
import { type TagMessage, tagMessages, waitForOnline, waitForTag } from './messages.ts';
import { type MqttSub, startMqttSub } from './mqtt-sub.ts';
import {
  BAD_NODE_ID_UNKNOWN,
  EXPECTED,
  expectAllTypes,
  expectEveryVariableCovered,
  FAST_PUBLISH,
  NO_STALE_MS,
  nsu,
  tagsFor,
} from './opcua-scenario.ts';
import { type OpcUaServerProcess, startOpcUaServerProcess } from './peers/opcua-server-peer.ts';

const DEVICE = 'plc';
const MAPPING_FILE = 'mappings/plant.json';
const BROWSED_FILE = 'mappings/browsed.json';
/** For CLI runs that connect to the server: generous, a loaded CI machine starts node-opcua slowly. */
const CLI_TIMEOUT_MS = 60_000;

/** Tags of one group: every type, the NaN, and a node the server does not have. */
const groupTags = (prefix: string) => [
  ...tagsFor(prefix),
  { name: `${prefix}DoubleNaN`, nodeId: nsu('DoubleNaN') },
  { name: `${prefix}Missing`, nodeId: nsu('NoSuchNode') },
];

const mapping: OpcUaMapping = {
  publish: FAST_PUBLISH,
  groups: [
    { name: 'pushed', mode: 'subscription', publishingIntervalMs: 100, tags: groupTags('s_') },
    { name: 'polled', mode: 'poll', pollIntervalMs: 100, tags: groupTags('p_') },
  ],
};

describe("OPC UA through 'fieldbridge run': every type by subscription and by poll, a refused node", () => {
  let dir: string;
  let broker: Mosquitto;
  let server: OpcUaServerProcess;
  let sub: MqttSub;
  let gw: AcceptanceGateway;
  let boot = '';
  /** No source timestamp of the server can be older than its start. */
  let serverStartedAt = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-acc-opcua-'));
    serverStartedAt = Date.now();
    [broker, server] = await Promise.all([
      startMosquitto(),
      startOpcUaServerProcess({ dir: join(dir, 'server') }),
    ]);
    sub = await startMqttSub({ broker, topics: ['acc/#'] });
    gw = await startAcceptanceGateway({
      broker,
      devices: [
        {
          name: DEVICE,
          driver: 'opcua',
          endpoint: server.endpoint,
          securityMode: 'None',
          allowInsecure: true,
          user: { username: OPERATOR, password: { env: 'PLANT_OPCUA_PASSWORD' } },
          mapping: MAPPING_FILE,
          staleAfterMs: NO_STALE_MS,
        },
      ],
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

  it('covers every variable of the test server', () => {
    expectEveryVariableCovered();
  });

  for (const [prefix, mode] of [
    ['s_', 'subscription'],
    ['p_', 'poll'],
  ] as const) {
    it(`${mode} group: every built-in type's value, JSON type, quality and stamps`, async () => {
      const messages = await expectAllTypes(sub, gw, DEVICE, prefix, { boot, notBefore: serverStartedAt });
      // 64-bit integers beyond 2^53 are strings in the payload's text itself, not rounded numbers.
      expect((messages.get('Int64Big') as TagMessage).received.text).toContain('"value":"9007199254740993"');
      expect((messages.get('UInt64Big') as TagMessage).received.text).toContain(
        '"value":"18446744073709551615"',
      );
    });

    it(`${mode} group: only the node the server does not have is bad, with its status code; NaN is bad`, async () => {
      const missing = await waitForTag(sub, gw.topic(DEVICE, `${prefix}Missing`));
      expect(missing).toMatchObject({ quality: 'bad', value: null, code: BAD_NODE_ID_UNKNOWN });
      expect(missing.error).toContain('BadNodeIdUnknown');
      if (mode === 'subscription') expect(missing.error).toContain('the server refused to monitor');
      const nan = await waitForTag(sub, gw.topic(DEVICE, `${prefix}DoubleNaN`));
      expect(nan).toMatchObject({ quality: 'bad', value: null });
      expect(nan.error).toContain('not a finite number');
    });
  }

  it('/metrics, /api/status and `fieldbridge status` agree; the device is connected; one message per tag', async () => {
    const status = await expectAgreement(gw, sub, { boot });
    const device = status.devices.find((d) => d.name === DEVICE);
    expect(device?.driver).toBe('opcua');
    expect(device?.state).toBe('connected');
    const bad = device?.tags.filter((t) => t.quality !== 'good').map((t) => t.name);
    expect(bad?.sort()).toEqual(['p_DoubleNaN', 'p_Missing', 's_DoubleNaN', 's_Missing']);
    for (const tag of mapping.groups.flatMap((g) => g.tags)) {
      expect(tagMessages(sub, gw.topic(DEVICE, tag.name)).length, `${tag.name}: messages`).toBe(1);
    }
    const columns = ['DEVICE', 'DRIVER', 'STATE', 'POLLS', 'FAILED', 'GOOD/BAD/STALE', 'LAST ERROR'];
    const rows = tableRows((await gw.statusCli()).stdout, columns);
    expect(rows.find((r) => r.DEVICE === DEVICE)).toMatchObject({
      DRIVER: 'opcua',
      STATE: 'connected',
      'GOOD/BAD/STALE': `${2 * Object.keys(EXPECTED).length}/4/0`,
    });
    // A connected device's last error is that of its bad tags.
    expect(rows.find((r) => r.DEVICE === DEVICE)?.['LAST ERROR']).toMatch(/^4 tags bad, e\.g\. /);
  });

  it('`fieldbridge read` prints every tag of the OPC UA device, as the gateway publishes them', {
    timeout: 120_000,
  }, async () => {
    const result = await gw.cli(['read', gw.prepared.configPath, DEVICE], {
      env: { PLANT_OPCUA_PASSWORD: OPERATOR_PASSWORD },
      timeoutMs: CLI_TIMEOUT_MS,
    });
    // Exit 1: some tags are bad (the missing node, the NaN).
    expect(result.code, result.stderr).toBe(1);
    const rows = tableRows(result.stdout, ['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR']);
    expect(rows).toHaveLength(mapping.groups.flatMap((g) => g.tags).length);
    for (const prefix of ['s_', 'p_']) {
      for (const [name, expected] of Object.entries(EXPECTED)) {
        expect(rows, `${prefix}${name}`).toContainEqual({
          TAG: `${prefix}${name}`,
          VALUE: JSON.stringify(expected.value),
          UNIT: '',
          QUALITY: 'good',
          ERROR: '',
        });
      }
      const missing = rows.find((r) => r.TAG === `${prefix}Missing`);
      expect(missing?.QUALITY).toBe('bad');
      expect(missing?.ERROR).toContain('BadNodeIdUnknown');
    }
    expect(result.stdout + result.stderr).not.toContain(OPERATOR_PASSWORD);
  });

  it('`opcua browse --write` drafts a mapping that `validate` accepts and the gateway runs (SIGHUP reload)', {
    timeout: 120_000,
  }, async () => {
    const browse = await gw.cli(
      [
        'opcua',
        'browse',
        server.endpoint,
        '--root',
        `nsu=${PLANT_NS};s=Plant`,
        '--write',
        BROWSED_FILE,
        '--state-dir',
        gw.prepared.stateDir,
      ],
      { timeoutMs: CLI_TIMEOUT_MS },
    );
    expect(browse.code, browse.stderr).toBe(0);
    expect(browse.stdout).toContain(`wrote 20 tags to ${BROWSED_FILE}`);
    const browsed = JSON.parse(await readFile(join(gw.prepared.dir, BROWSED_FILE), 'utf8')) as OpcUaMapping;
    expect(browsed.groups[0]?.tags).toContainEqual({ name: 'Int64Big', nodeId: nsu('Int64Big') });

    const config = gw.prepared.config;
    const devices = config.devices as Record<string, unknown>[];
    await gw.prepared.writeConfig({
      ...config,
      devices: [
        ...devices,
        {
          name: 'browsed',
          driver: 'opcua',
          endpoint: server.endpoint,
          securityMode: 'None',
          allowInsecure: true,
          mapping: BROWSED_FILE,
          staleAfterMs: NO_STALE_MS,
        },
      ],
    });
    const validate = await gw.cli(['validate', gw.prepared.configPath]);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    const outcome = await gw.reload();
    expect(outcome).toMatchObject({ msg: 'config reloaded', added: ['browsed'], unchanged: [DEVICE] });
    const reloadedAt = Date.now();
    await expectAllTypes(sub, gw, 'browsed', '', { boot, notBefore: serverStartedAt });
    const counter = await waitForTag(sub, gw.topic('browsed', 'Counter'));
    expect(typeof counter.value).toBe('number');
    expect(counter.tsMs).toBeGreaterThanOrEqual(reloadedAt - 1000);
  });

  it('logged no error; the password reached no log line', () => {
    expectNoUnexpectedErrors(gw.run);
    expect(JSON.stringify(gw.run.logs)).not.toContain(OPERATOR_PASSWORD);
  });
});
