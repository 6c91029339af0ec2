/**
 * The Modbus acceptance scenario, run against two different servers (our simulators and pymodbus):
 * one gateway process with
 * - `tcp`:    Modbus TCP, unit 1, value set A;
 * - `rtu1`, `rtu2`: Modbus RTU on one serial line (a socat pty pair), units 1 (set A) and 2 (set B);
 * - `rtutcp`: RTU over TCP (a serial server), unit 3, set B;
 * all sharing one mapping file (identical machines), polled every 100 ms, reporting by exception with no
 * heartbeat, so each tag is published exactly once while its registers stay as served.
 */
import { readFile, readlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedUnit } from '../../simulators/modbus/simulator.ts';
import { ptyPair } from '../drivers/modbus/pty-pair.ts';
import { serviceLaunch } from '../helpers/gateway-process.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { expectAgreement } from './agreement.ts';
import { CLI } from './cli.ts';
import { type AcceptanceGateway, expectNoUnexpectedErrors, startAcceptanceGateway } from './harness.ts';
import {
  expectStamps,
  expectTagValue,
  type TagMessage,
  tagMessages,
  waitForOnline,
  waitForTag,
} from './messages.ts';
import { type ModbusVectors, modbusVectors, type RegisterImage, type ValueSet } from './modbus-vectors.ts';
import { type MqttSub, startMqttSub } from './mqtt-sub.ts';

export const MAPPING_FILE = 'mappings/plc.json';

/**
 * Device settings shared by the scenarios: fast polls, report by exception, no heartbeat. The timeout is
 * generous: on a loaded CI machine (2 cores, two test files at once) a 1 s connect or reply timeout does
 * happen, and a tag that goes bad and good again is not what these scenarios are about.
 */
export const FAST_DEVICE = {
  pollIntervalMs: 100,
  timeoutMs: 5000,
  mapping: MAPPING_FILE,
  publish: { mode: 'change', heartbeatSeconds: 0 },
} as const;

/** Writes a RegisterImage into one of our simulated units. */
export function loadImage(unit: SimulatedUnit, image: RegisterImage): void {
  for (const [address, word] of image.holding) unit.holding[address] = word;
  for (const [address, word] of image.input) unit.input[address] = word;
  for (const [address, bit] of image.coil) unit.coils[address] = bit;
  for (const [address, bit] of image.discrete) unit.discrete[address] = bit;
}

/** Where the peers listen: what the gateway config needs. */
export interface ModbusPeers {
  readonly tcpPort: number;
  readonly rtuTcpPort: number;
  /** The gateway's end of the serial line. */
  readonly serialPort: string;
  close(): Promise<void>;
}

/** Starts the servers for the layout above: unit 1 on TCP, units 1 and 2 on `serialPeerPath`, unit 3 on RTU over TCP. */
export type StartPeers = (
  serialPeerPath: string,
  units: Readonly<Record<ValueSet, RegisterImage>>,
) => Promise<Omit<ModbusPeers, 'serialPort'>>;

export const DEVICES: readonly { readonly name: string; readonly set: ValueSet; readonly driver: string }[] =
  [
    { name: 'tcp', set: 'A', driver: 'modbus-tcp' },
    { name: 'rtu1', set: 'A', driver: 'modbus-rtu' },
    { name: 'rtu2', set: 'B', driver: 'modbus-rtu' },
    { name: 'rtutcp', set: 'B', driver: 'modbus-rtu-tcp' },
  ];

export function modbusDeviceConfigs(peers: Omit<ModbusPeers, 'close'>): Record<string, unknown>[] {
  const line = {
    driver: 'modbus-rtu',
    port: peers.serialPort,
    baudRate: 19200,
    parity: 'even',
    ...FAST_DEVICE,
  };
  return [
    { name: 'tcp', driver: 'modbus-tcp', host: '127.0.0.1', port: peers.tcpPort, unitId: 1, ...FAST_DEVICE },
    { name: 'rtu1', unitId: 1, ...line },
    { name: 'rtu2', unitId: 2, ...line },
    {
      name: 'rtutcp',
      driver: 'modbus-rtu-tcp',
      host: '127.0.0.1',
      port: peers.rtuTcpPort,
      unitId: 3,
      ...FAST_DEVICE,
    },
  ];
}

/**
 * Waits for every tag of `device` and checks each message: value and JSON type computed from the
 * served registers (modbus-vectors.ts), quality good, unit, seq/boot/ts stamps. Returns the messages.
 */
export async function expectDeviceTags(
  sub: MqttSub,
  gw: AcceptanceGateway,
  device: string,
  vectors: ModbusVectors,
  boot: string,
): Promise<TagMessage[]> {
  const messages: TagMessage[] = [];
  for (const [tag, expected] of vectors.expected) {
    const message = await waitForTag(sub, gw.topic(device, tag));
    expectStamps(message, { boot, notBefore: gw.startedAt });
    expectTagValue(message, expected);
    messages.push(message);
  }
  // Seqs are per gateway and strictly increasing; within a device's poll, tags go out in mapping order.
  expect(new Set(messages.map((m) => m.seq)).size, `${device}: distinct seqs`).toBe(messages.length);
  return messages;
}

export function describeModbusAcceptance(peerName: string, startPeers: StartPeers): void {
  describe(`Modbus through 'fieldbridge run' against ${peerName}`, () => {
    const vectors = { A: modbusVectors('A'), B: modbusVectors('B') };
    let broker: Mosquitto;
    let sub: MqttSub;
    let gw: AcceptanceGateway;
    let peers: ModbusPeers | undefined;
    let boot = '';

    beforeAll(async () => {
      broker = await startMosquitto();
      const pty = await ptyPair();
      const servers = await startPeers(pty.devices, { A: vectors.A.image, B: vectors.B.image }).catch(
        async (error: unknown) => {
          await pty.close();
          throw error;
        },
      );
      peers = {
        ...servers,
        serialPort: pty.gateway,
        close: async () => {
          await servers.close();
          await pty.close();
        },
      };
      sub = await startMqttSub({ broker, topics: ['acc/#'] });
      gw = await startAcceptanceGateway({
        broker,
        devices: modbusDeviceConfigs(peers),
        mappings: { [MAPPING_FILE]: vectors.A.mapping },
      });
      boot = await waitForOnline(sub, gw.statusTopic, gw.gatewayId);
    });
    afterAll(async () => {
      await gw?.dispose();
      await sub?.close();
      await peers?.close();
      await broker?.dispose();
    });

    it('the gateway runs as the systemd unit starts it: its node flags, environment and working directory', async () => {
      const pid = gw.run.pid;
      const service = serviceLaunch();
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
      expect(cmdline.slice(1)).toEqual([...service.nodeFlags, CLI, 'run', gw.prepared.configPath]);
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      for (const [key, value] of Object.entries(service.env)) expect(environ).toContain(`${key}=${value}`);
      expect(await readlink(`/proc/${pid}/cwd`)).toBe(gw.prepared.stateDir);
    });

    it('the mapping is the same for both value sets (identical machines share one file)', () => {
      expect(vectors.B.mapping).toEqual(vectors.A.mapping);
    });

    for (const { name, set, driver } of DEVICES) {
      it(`${driver} device ${name} (value set ${set}): every tag's value, JSON type, quality and stamps`, async () => {
        await expectDeviceTags(sub, gw, name, vectors[set], boot);
      });
    }

    it('/metrics, /api/status and `fieldbridge status` agree with what arrived; one message per tag', async () => {
      const status = await expectAgreement(gw, sub, { boot });
      expect(status.gateway.ready).toBe(true);
      expect(status.devices.map((d) => [d.name, d.driver, d.state])).toEqual(
        DEVICES.map((d) => [d.name, d.driver, 'connected']),
      );
      for (const { name } of DEVICES) {
        for (const tag of vectors.A.expected.keys()) {
          expect(tagMessages(sub, gw.topic(name, tag)).length, `${name}/${tag}: messages`).toBe(1);
        }
      }
    });

    it('logged no error', () => {
      expectNoUnexpectedErrors(gw.run);
    });
  });
}
