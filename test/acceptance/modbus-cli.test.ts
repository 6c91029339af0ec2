/**
 * Acceptance: the commissioning commands as child processes, as an engineer runs them on site:
 * `fieldbridge read` for every Modbus driver and `fieldbridge probe` against Debian's pymodbus serving the
 * known registers (./modbus-vectors.ts); `fieldbridge status` for a running gateway whose device answers
 * one register with exception 02, and for no gateway at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import { ptyPair } from '../drivers/modbus/pty-pair.ts';
import { type PreparedGateway, prepareGateway } from '../helpers/gateway-process.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { expectAgreement } from './agreement.ts';
import { runCli, tableRows } from './cli.ts';
import { type AcceptanceGateway, expectNoUnexpectedErrors, startAcceptanceGateway } from './harness.ts';
import { expectStamps, expectTagValue, waitForOnline, waitForTag } from './messages.ts';
import { DEVICES, FAST_DEVICE, MAPPING_FILE, modbusDeviceConfigs } from './modbus-scenario.ts';
import { modbusVectors, wordsInOrder } from './modbus-vectors.ts';
import { type MqttSub, startMqttSub } from './mqtt-sub.ts';
import { type PymodbusServer, startPymodbus } from './peers/pymodbus.ts';

const vectors = { A: modbusVectors('A'), B: modbusVectors('B') };

/** How `read` and `probe` print a value: JSON, so a 64-bit decimal string shows as the string it is. */
const printed = (value: unknown) => JSON.stringify(value);
const hex4 = (word: number) => word.toString(16).padStart(4, '0');

describe('fieldbridge read and probe against pymodbus', () => {
  let server: PymodbusServer;
  let pty: Awaited<ReturnType<typeof ptyPair>>;
  let prepared: PreparedGateway;

  beforeAll(async () => {
    pty = await ptyPair();
    server = await startPymodbus({
      tcp: { 1: vectors.A.image },
      rtuTcp: { 3: vectors.B.image },
      serial: { port: pty.devices, units: { 1: vectors.A.image, 2: vectors.B.image } },
    });
    // Only the config is written: `read` needs no broker and no running gateway.
    prepared = await prepareGateway({
      mqttUrl: 'mqtt://127.0.0.1:9',
      deviceConfigs: modbusDeviceConfigs({
        tcpPort: server.tcpPort ?? 0,
        rtuTcpPort: server.rtuTcpPort ?? 0,
        serialPort: pty.gateway,
      }),
      mappingFiles: { [MAPPING_FILE]: vectors.A.mapping },
    });
  });
  afterAll(async () => {
    await prepared?.dispose();
    await server?.close();
    await pty?.close();
  });

  for (const { name, set, driver } of DEVICES) {
    it(`read ${name} (${driver}): every tag decoded, good, exit 0`, async () => {
      const result = await runCli(['read', prepared.configPath, name], { cwd: prepared.dir });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const rows = tableRows(result.stdout, ['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR']);
      expect(rows.map((r) => r.TAG)).toEqual([...vectors[set].expected.keys()]);
      for (const row of rows) {
        const expected = vectors[set].expected.get(row.TAG ?? '');
        expect(row, `read ${name}: ${row.TAG}`).toEqual({
          TAG: row.TAG,
          VALUE: printed(expected?.value),
          UNIT: expected?.unit ?? '',
          QUALITY: 'good',
          ERROR: '',
        });
      }
    });
  }

  it('read names the devices there are when asked for one that is not', async () => {
    const result = await runCli(['read', prepared.configPath, 'nope'], { cwd: prepared.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no device "nope"');
    expect(result.stderr).toContain('tcp, rtu1, rtu2, rtutcp');
  });

  /** The address of a tag in the vectors' mapping. */
  const addressOf = (tag: string): number => {
    const found = vectors.A.mapping.tags.find((t) => t.name === tag);
    return found?.address as number;
  };

  const probe = (args: readonly string[]) =>
    runCli(['probe', '--host', '127.0.0.1', '--port', String(server.tcpPort), '--unit', '1', ...args]);

  for (const [type, order, count] of [
    ['float32', 'CDAB', 2],
    ['int32', 'BADC', 2],
    ['uint64', 'DCBA', 4],
    ['float64', 'ABCD', 4],
  ] as const) {
    it(`probe --type ${type}: the raw registers, and the value in the ${order} column`, async () => {
      const address = addressOf(`${type}_${order}`);
      const result = await probe(['--address', String(address), '--count', String(count), '--type', type]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const words = [...Array(count).keys()].map((i) => vectors.A.image.holding.get(address + i) ?? 0);
      expect(result.stdout.split('\n')[0]).toBe(
        `holding registers ${address}..${address + count - 1}: ${words.map(hex4).join(' ')}`,
      );
      const rows = tableRows(result.stdout, ['ADDRESS', 'ABCD', 'BADC', 'CDAB', 'DCBA']);
      expect(rows).toHaveLength(1);
      const value = vectors.A.expected.get(`${type}_${order}`)?.value;
      expect(rows[0]?.ADDRESS).toBe(String(address));
      expect(rows[0]?.[order]).toBe(typeof value === 'string' ? printed(value) : String(value));
    });
  }

  it('probe --area input: input registers, one row per address', async () => {
    const address = addressOf('in_int32');
    const result = await probe([
      '--area',
      'input',
      '--address',
      String(address),
      '--count',
      '3',
      '--type',
      'int32',
    ]);
    expect(result.code).toBe(0);
    const words = wordsInOrder([0xf8, 0xa4, 0x32, 0xeb], 'ABCD');
    expect(result.stdout.split('\n')[0]).toBe(
      `input registers ${address}..${address + 2}: ${[...words, 0].map(hex4).join(' ')}`,
    );
    const rows = tableRows(result.stdout, ['ADDRESS', 'ABCD', 'BADC', 'CDAB', 'DCBA']);
    expect(rows.map((r) => r.ADDRESS)).toEqual([String(address), String(address + 1)]);
    expect(rows[0]?.ABCD).toBe('-123456789');
  });

  it('probe of a port where nothing listens fails with the address in the message', async () => {
    const result = await runCli(['probe', '--host', '127.0.0.1', '--port', '9', '--address', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('127.0.0.1:9');
  });
});

describe('fieldbridge status for a gateway with a device that refuses one register', () => {
  const plc = new ModbusTcpSimulator();
  let broker: Mosquitto;
  let sub: MqttSub;
  let gw: AcceptanceGateway;
  let boot = '';

  beforeAll(async () => {
    broker = await startMosquitto();
    const { port } = await plc.listen();
    const unit = plc.unit(1);
    unit.holding.set([1234, 0x0bad, 0x3fc0, 0x0000], 0); // uint16 1234, (refused), float32 1.5
    unit.rules = [{ area: 'holding', start: 1, count: 1, code: 2 }];
    sub = await startMqttSub({ broker, topics: ['acc/#'] });
    gw = await startAcceptanceGateway({
      broker,
      devices: [{ name: 'skid', driver: 'modbus-tcp', host: '127.0.0.1', port, ...FAST_DEVICE }],
      mappings: {
        [MAPPING_FILE]: {
          tags: [
            { name: 'level', area: 'holding', address: 0, type: 'uint16', unit: 'cm' },
            { name: 'refused', area: 'holding', address: 1, type: 'uint16' },
            { name: 'flow', area: 'holding', address: 2, type: 'float32' },
          ],
        },
      },
    });
    boot = await waitForOnline(sub, gw.statusTopic, gw.gatewayId);
  });
  afterAll(async () => {
    await gw?.dispose();
    await sub?.close();
    await plc.close();
    await broker?.dispose();
  });

  it('only the refused tag is bad, with exception 02 as its code; its neighbours in the block are good', async () => {
    const context = { boot, notBefore: gw.startedAt };
    const level = await waitForTag(sub, gw.topic('skid', 'level'));
    const refused = await waitForTag(sub, gw.topic('skid', 'refused'));
    const flow = await waitForTag(sub, gw.topic('skid', 'flow'));
    for (const m of [level, refused, flow]) expectStamps(m, context);
    expectTagValue(level, { value: 1234, type: 'number', unit: 'cm' });
    expectTagValue(flow, { value: 1.5, type: 'number' });
    expectTagValue(refused, { value: null, type: 'null', quality: 'bad' });
    expect(refused.code).toBe(2);
    expect(refused.error).toMatch(/exception 02/i);
  });

  it('status, /api/status and /metrics agree: the device connected with 2 good tags and 1 bad', async () => {
    const status = await expectAgreement(gw, sub, { boot });
    const device = status.devices[0];
    expect(device?.state).toBe('connected');
    expect(device?.tags.map((t) => [t.name, t.quality, t.value])).toEqual([
      ['level', 'good', 1234],
      ['refused', 'bad', null],
      ['flow', 'good', 1.5],
    ]);
    expect(device?.tags[1]?.error).toMatch(/exception 02/i);
    // The CLI's row says which tag is bad and why, rather than "connected" and blank.
    const cli = await gw.statusCli();
    const row = tableRows(cli.stdout, [
      'DEVICE',
      'DRIVER',
      'STATE',
      'POLLS',
      'FAILED',
      'GOOD/BAD/STALE',
      'LAST ERROR',
    ])[0];
    expect(row?.['LAST ERROR']).toBe(`tag refused: ${device?.tags[1]?.error}`);
  });

  it('logged no error (an exception from a device is the data, not a gateway error)', () => {
    expectNoUnexpectedErrors(gw.run);
  });

  it('status without a running gateway: exit 1, naming the URL it tried', async () => {
    const url = 'http://127.0.0.1:9';
    const result = await runCli(['status', '--url', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot get ${url}/api/status`);
  });
});
