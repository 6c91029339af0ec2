/**
 * Acceptance: one gateway process with every driver at once — Modbus TCP, two RTU units on a pty line,
 * RTU over TCP, and an OPC UA device (the test server in its own process, peers/opcua-server-peer.ts) —
 * under SIGHUP reload (gateway/service/reload.ts), as `systemctl reload fieldbridge` sends it:
 * 1. a broken mapping is refused: every problem logged, the last good config keeps running untouched;
 * 2. a changed mapping restarts only the device that uses it: the change arrives at the subscriber,
 *    every other device keeps its runner (its poll counter runs on), publishes nothing new and keeps its
 *    connection; the MQTT session, the boot and the seq sequence are not disturbed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiStatus } from '../../gateway/http/api-status.ts';
import { RtuSlaveSimulator } from '../../simulators/modbus/rtu-simulator.ts';
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import { ptyPair } from '../drivers/modbus/pty-pair.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { OPERATOR, OPERATOR_PASSWORD, PLANT_NS } from '../helpers/opcua-server.ts';
import { expectAgreement } from './agreement.ts';
import { type AcceptanceGateway, expectNoUnexpectedErrors, startAcceptanceGateway } from './harness.ts';
import {
  type ExpectedTag,
  expectStamps,
  expectTagValue,
  tagMessages,
  waitForOnline,
  waitForTag,
} from './messages.ts';
import {
  DEVICES,
  expectDeviceTags,
  loadImage,
  MAPPING_FILE,
  modbusDeviceConfigs,
} from './modbus-scenario.ts';
import { modbusVectors } from './modbus-vectors.ts';
import { type MqttSub, startMqttSub } from './mqtt-sub.ts';
import { type OpcUaServerProcess, startOpcUaServerProcess } from './peers/opcua-server-peer.ts';

const RTU_TCP_MAPPING = 'mappings/rtutcp.json';
const OPCUA_MAPPING = 'mappings/opcua.json';
const UA = 'ua';
/** Holding register the reload's new tag reads on unit 3 (nothing else maps it). */
const ADDED_ADDRESS = 600;
const ADDED_VALUE = 4242;

/** The test server's static variables (test/helpers/opcua-server.ts TEST_VARIABLES) and their JSON. */
const UA_EXPECTED: Readonly<Record<string, ExpectedTag & { readonly node: string }>> = {
  sub_double: { node: 'Double', value: 3.25, type: 'number' },
  sub_string: { node: 'String', value: 'héllo', type: 'string' },
  poll_int64_big: { node: 'Int64Big', value: '9007199254740993', type: 'string' },
  poll_bool: { node: 'Bool', value: true, type: 'boolean' },
};

function opcuaMapping() {
  const tags = (prefix: string) =>
    Object.entries(UA_EXPECTED)
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, { node }]) => ({ name, nodeId: `nsu=${PLANT_NS};s=${node}` }));
  return {
    publish: { mode: 'change', heartbeatSeconds: 0 },
    groups: [
      {
        name: 'fast',
        mode: 'subscription',
        publishingIntervalMs: 100,
        samplingIntervalMs: 100,
        tags: tags('sub_'),
      },
      { name: 'slow', mode: 'poll', pollIntervalMs: 100, tags: tags('poll_') },
    ],
  };
}

describe('every driver in one gateway, under SIGHUP reload', () => {
  const vectors = { A: modbusVectors('A'), B: modbusVectors('B') };
  const tcp = new ModbusTcpSimulator({ unitIds: [1] });
  const line = new RtuSlaveSimulator([1, 2]);
  const serialServer = new RtuSlaveSimulator([3]);
  let pty: Awaited<ReturnType<typeof ptyPair>>;
  let dir = '';
  let broker: Mosquitto;
  let opcua: OpcUaServerProcess;
  let sub: MqttSub;
  let gw: AcceptanceGateway;
  let boot = '';
  let serverStartedAt = 0;
  let beforeReload: ApiStatus;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-acc-all-'));
    loadImage(tcp.unit(1), vectors.A.image);
    loadImage(line.unit(1), vectors.A.image);
    loadImage(line.unit(2), vectors.B.image);
    loadImage(serialServer.unit(3), vectors.B.image);
    serialServer.unit(3).holding[ADDED_ADDRESS] = ADDED_VALUE;
    pty = await ptyPair();
    serverStartedAt = Date.now();
    let tcpPort = 0;
    let rtuTcpPort = 0;
    [broker, opcua, { port: tcpPort }, { port: rtuTcpPort }] = await Promise.all([
      startMosquitto(),
      startOpcUaServerProcess({ dir: join(dir, 'opcua-server') }),
      tcp.listen(),
      serialServer.listenTcp(),
      line.openSerial(pty.devices),
    ]);
    const modbus = modbusDeviceConfigs({ tcpPort, rtuTcpPort, serialPort: pty.gateway }).map((d) =>
      d.name === 'rtutcp' ? { ...d, mapping: RTU_TCP_MAPPING } : d,
    );
    sub = await startMqttSub({ broker, topics: ['acc/#'] });
    gw = await startAcceptanceGateway({
      broker,
      devices: [
        ...modbus,
        {
          name: UA,
          driver: 'opcua',
          endpoint: opcua.endpoint,
          securityMode: 'None',
          allowInsecure: true,
          user: { username: OPERATOR, password: { env: 'PLANT_OPCUA_PASSWORD' } },
          mapping: OPCUA_MAPPING,
          // Subscribed values that never change are not "stale": keep the flip out of the test.
          staleAfterMs: 600_000,
        },
      ],
      mappings: {
        [MAPPING_FILE]: vectors.A.mapping,
        [RTU_TCP_MAPPING]: vectors.B.mapping,
        [OPCUA_MAPPING]: opcuaMapping(),
      },
      env: { PLANT_OPCUA_PASSWORD: OPERATOR_PASSWORD },
    });
    boot = await waitForOnline(sub, gw.statusTopic, gw.gatewayId);
  });
  afterAll(async () => {
    await gw?.dispose();
    await sub?.close();
    await opcua?.stop();
    await Promise.allSettled([tcp.close(), line.close(), serialServer.close()]);
    await pty?.close();
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('every device of every driver delivers every tag', async () => {
    for (const { name, set } of DEVICES) await expectDeviceTags(sub, gw, name, vectors[set], boot);
    for (const [tag, expected] of Object.entries(UA_EXPECTED)) {
      const message = await waitForTag(sub, gw.topic(UA, tag), (m) => m.quality === 'good');
      // OPC UA stamps are the server's source timestamps: not older than the server's start.
      expectStamps(message, { boot, notBefore: serverStartedAt });
      expectTagValue(message, expected);
    }
    beforeReload = await expectAgreement(gw, sub, { boot });
    expect(beforeReload.gateway.ready).toBe(true);
    expect(beforeReload.devices.map((d) => d.state)).toEqual(Array(5).fill('connected'));
  });

  it('a broken mapping is refused with its problem named; the running config is untouched', async () => {
    const messagesBefore = sub.messages.length;
    const connectionsBefore = tcp.connections;
    const mapping = vectors.B.mapping;
    const broken = { ...mapping, tags: mapping.tags.map((t, i) => (i === 0 ? { ...t, type: 'float' } : t)) };
    await gw.prepared.writeJson(RTU_TCP_MAPPING, broken);
    const outcome = await gw.reload();
    expect(outcome.msg).toMatch(
      /^reload refused: .* has 1 problem\(s\); still running the last good config$/,
    );
    const problem = gw.run.logs.find((l) => l.level >= 50 && l.msg.includes('rtutcp.json'));
    expect(problem?.msg).toMatch(
      /rtutcp\.json:\d+:\d+ +\$\.tags\[0\]\.type +.*"float".*did you mean "float32"/,
    );
    // Every device still polls with its old runner, and nothing was republished.
    await waitForPollsAfter(gw, await gw.apiStatus());
    await expectAgreement(gw, sub, { boot });
    expect(sub.messages.length).toBe(messagesBefore);
    expect(tcp.connections).toBe(connectionsBefore);
  });

  it('a changed mapping restarts only its device; the change arrives and nothing else is disturbed', async () => {
    const reloadAt = sub.messages.length;
    const tcpConnections = tcp.connections;
    const status = await gw.apiStatus();
    const mapping = vectors.B.mapping;
    const changed = {
      ...mapping,
      tags: [
        // raw 1 (value set B): 0.01 bar before, 0.1 bar after
        ...mapping.tags.map((t) => (t.name === 'scaled_pressure' ? { ...t, scale: 0.1 } : t)),
        { name: 'added_after_reload', area: 'holding', address: ADDED_ADDRESS, type: 'uint16' },
      ],
    };
    await gw.prepared.writeJson(RTU_TCP_MAPPING, changed);

    const outcome = await gw.reload();
    expect(outcome).toMatchObject({
      msg: 'config reloaded',
      restarted: ['rtutcp'],
      added: [],
      removed: [],
      unchanged: ['tcp', 'rtu1', 'rtu2', UA],
    });

    const after = (m: { received: unknown }) => sub.messages.indexOf(m.received as never) >= reloadAt;
    const added = await waitForTag(sub, gw.topic('rtutcp', 'added_after_reload'));
    expectStamps(added, { boot, notBefore: gw.startedAt });
    expectTagValue(added, { value: ADDED_VALUE, type: 'number' });
    const scaled = await waitForTag(sub, gw.topic('rtutcp', 'scaled_pressure'), after);
    expectTagValue(scaled, { value: 0.1, type: 'number', unit: 'bar' });
    // The restarted device publishes all its tags afresh (a new report-by-exception state), unchanged ones
    // with the values they had.
    for (const [tag, expected] of vectors.B.expected) {
      if (tag === 'scaled_pressure') continue;
      expectTagValue(await waitForTag(sub, gw.topic('rtutcp', tag), after), expected);
    }

    const now = await waitForPollsAfter(gw, status, ['tcp', 'rtu1', 'rtu2', UA]);
    const quiet = await expectAgreement(gw, sub, { boot, deviceMessagesFrom: { rtutcp: reloadAt } });
    expect(quiet.gateway.ready).toBe(true);
    // Undisturbed: no message from another device since the reload, same MQTT session, same boot.
    const others = sub.messages.slice(reloadAt).filter((m) => !m.topic.startsWith('acc/rtutcp/'));
    expect(others.map((m) => m.topic)).toEqual([]);
    expect(quiet.broker.reconnects).toBe(0);
    expect(tcp.connections).toBe(tcpConnections);
    for (const name of ['tcp', 'rtu1', 'rtu2', UA]) {
      const polls = (s: ApiStatus) => s.devices.find((d) => d.name === name)?.polls ?? 0;
      expect(polls(now), `${name}: the same runner, its poll counter ran on`).toBeGreaterThan(polls(status));
    }
    const online = sub.messages.filter((m) => m.topic === gw.statusTopic);
    expect(online, 'one online status: the broker connection was never renewed').toHaveLength(1);
    expect(tagMessages(sub, gw.topic('rtutcp', 'scaled_pressure'))).toHaveLength(2);
  });

  it('logged no error other than the refused reload', () => {
    expectNoUnexpectedErrors(gw.run, [/rtutcp\.json/, /^reload refused: /]);
  });
});

/**
 * Waits until each device (default: all) has polled again since `since`. Poll counters belong to a
 * device's runner, so only a device that kept its runner can count on from where it was.
 */
async function waitForPollsAfter(
  gw: AcceptanceGateway,
  since: ApiStatus,
  names: readonly string[] = since.devices.map((d) => d.name),
): Promise<ApiStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = await gw.apiStatus();
    const behind = since.devices.filter(
      (d) => names.includes(d.name) && (now.devices.find((n) => n.name === d.name)?.polls ?? 0) <= d.polls,
    );
    if (behind.length === 0) return now;
    if (Date.now() > deadline) throw new Error(`no poll since by ${behind.map((d) => d.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
