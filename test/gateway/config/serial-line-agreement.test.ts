/**
 * `validate` and `run` must refuse the same lines. For pairs of devices on one line, the config check
 * (checkSerialLines) reports a line-settings problem exactly when the real RTU driver's bus registry
 * refuses the second device at start — so a line setting added to the driver without the check (or the
 * other way round) fails here. The drivers are started for real (their line: a serial path that does not
 * exist, or a closed port on 127.0.0.1) and stopped again.
 */
import { type AddressInfo, createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSerialLines } from '../../../gateway/config/serial-line-checks.ts';
import {
  type DeviceContext,
  type DevicePlugin,
  instantiate,
} from '../../../gateway/devices/device-plugin.ts';
import { modbusRtuPlugin, modbusRtuTcpPlugin } from '../../../gateway/devices/modbus-rtu.ts';
import { createLogger } from '../../../gateway/log.ts';
import type { ModbusMapping } from '../../../mappings/schema.ts';

const MAPPING: ModbusMapping = { tags: [{ name: 'v', area: 'holding', address: 0, type: 'uint16' }] };
const SERIAL = { driver: 'modbus-rtu', port: '/dev/fieldbridge-test-no-such-port', mapping: 'm.json' };
const SERVER = { driver: 'modbus-rtu-tcp', host: '127.0.0.1', mapping: 'm.json' };

type Fields = Record<string, unknown>;

/** name, line, first device's fields, second device's fields, whether the second is refused. */
const CASES: [string, Fields, Fields, Fields, boolean][] = [
  ['serial, defaults on both', SERIAL, {}, {}, false],
  ['serial, the defaults given explicitly', SERIAL, {}, { baudRate: 19_200, parity: 'even' }, false],
  ['serial, another baud rate', SERIAL, {}, { baudRate: 9600 }, true],
  ['serial, another stop bits', SERIAL, { parity: 'none' }, { parity: 'none', stopBits: 2 }, true],
  ['serial, another inter-frame delay', SERIAL, {}, { interFrameDelayMs: 5 }, true],
  ['serial, a late-reply guard on one device', SERIAL, { lateReplyGuardMs: 500 }, {}, true],
  ['serial server, defaults on both', SERVER, {}, {}, false],
  ['serial server, another inter-frame delay', SERVER, {}, { interFrameDelayMs: 3 }, true],
  [
    'serial server, the same late-reply guard',
    SERVER,
    { lateReplyGuardMs: 100 },
    { lateReplyGuardMs: 100 },
    false,
  ],
  [
    'serial server, another late-reply guard',
    SERVER,
    { lateReplyGuardMs: 100 },
    { lateReplyGuardMs: 200 },
    true,
  ],
];

/** Whether the driver refuses `second` on the line `first` opened, and with what message. */
async function runRefuses(first: Fields, second: Fields): Promise<string | undefined> {
  const context: DeviceContext = { stateDir: '/nonexistent', env: {}, shared: new Map() };
  const log = createLogger({ level: 'silent', pretty: false });
  const events = { onSamples: () => {}, onConnectionState: () => {} };
  const started = [];
  try {
    for (const device of [first, second]) {
      const plugin = (device.driver === 'modbus-rtu' ? modbusRtuPlugin : modbusRtuTcpPlugin) as DevicePlugin<
        never,
        ModbusMapping
      >;
      const instance = instantiate(plugin.compile(device as never, MAPPING, log, context), events);
      started.push(instance);
      await instance.driver.start();
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await Promise.all(started.map((instance) => instance.driver.stop()));
  }
}

describe('line settings: validate and run agree', () => {
  let serverPort = 0;
  beforeAll(async () => {
    // A port that was free a moment ago: the serial-server devices' connects are refused, nothing is sent.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    serverPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it.each(CASES)('%s', async (_name, line, a, b, refusedByRun) => {
    const at = line.driver === 'modbus-rtu-tcp' ? { port: serverPort } : {};
    const first = { ...line, ...at, ...a, name: 'first', unitId: 1 };
    const second = { ...line, ...at, ...b, name: 'second', unitId: 2 };
    const refused = await runRefuses(first, second);
    expect(refused !== undefined, String(refused)).toBe(refusedByRun);
    const problems = checkSerialLines([first, second]).map((issue) => issue.message);
    // The same words, except that validate adds where the first device is in the config.
    expect(problems).toEqual(
      refused === undefined ? [] : [refused.replace('device "first"', 'device "first" (devices[0])')],
    );
  });
});
