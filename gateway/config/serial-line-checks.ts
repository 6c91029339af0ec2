/**
 * Checks on the devices that share a Modbus RTU line, which `run` used to be the first to notice:
 * - every device on one line (a serial port, or a serial server's host:port) must ask for the same line
 *   settings (the bus registry refuses the second otherwise; the text compared is the driver's own);
 * - a unit id is polled by one device per line: two devices with the same unit id on one line read the
 *   same unit and publish its values under both names — nearly always a copied device whose unitId was
 *   not changed, and wrong data is worse than none;
 * - the serial port should exist (a warning only: a USB adapter may be plugged in after the start, and
 *   the line is reopened until it appears), be a character device, and be readable and writable.
 * Disabled devices are not started, so they share no line. Fields that fail the schema are skipped here
 * (the schema reports them).
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { rtuLineSettings } from '../../drivers/modbus/line-settings.ts';
import { field } from './gateway-checks.ts';
import { type Issue, pointerOf } from './problems.ts';
import { serialLineOf } from './serial-line.ts';

interface LineDevice {
  readonly index: number;
  readonly name: string;
  /** "serial /dev/ttyUSB0" or "RTU over TCP 10.0.4.20:4001", as the bus is named in logs. */
  readonly line: string;
  readonly unitId: number;
  /** Serial devices only: the settings text, and the fields the device sets itself. */
  readonly settings?: string;
  readonly explicit?: readonly string[];
  readonly port?: string;
}

/**
 * The fields of a device that set its whole line, and so must agree between the devices on it; the
 * settings text compared is the one the RTU driver gives the bus registry (rtuLineSettings).
 */
const SERIAL_FIELDS = [
  'baudRate',
  'dataBits',
  'parity',
  'stopBits',
  'interFrameDelayMs',
  'lateReplyGuardMs',
] as const;
const TCP_LINE_FIELDS = ['interFrameDelayMs', 'lateReplyGuardMs'] as const;

export function checkSerialLines(devices: unknown): Issue[] {
  const lineDevices = rtuDevices(devices);
  return [...checkLineSettings(lineDevices), ...checkUnitIds(lineDevices)];
}

function checkLineSettings(devices: readonly LineDevice[]): Issue[] {
  const first = new Map<string, LineDevice>();
  const issues: Issue[] = [];
  for (const device of devices) {
    if (device.settings === undefined) continue;
    const owner = first.get(device.line);
    if (owner === undefined) {
      first.set(device.line, device);
      continue;
    }
    if (owner.settings === device.settings) continue;
    const at = device.explicit?.[0] ?? 'port';
    issues.push({
      pointer: pointerOf('devices', device.index, at),
      message:
        `device "${device.name}": ${device.line} is already used by device "${owner.name}" (devices[${owner.index}]) ` +
        `with ${owner.settings}, this device asks for ${device.settings}; every device on one line must use the same line settings`,
    });
  }
  return issues;
}

function checkUnitIds(devices: readonly LineDevice[]): Issue[] {
  const first = new Map<string, LineDevice>();
  const issues: Issue[] = [];
  for (const device of devices) {
    const key = `${device.line}\u0000${device.unitId}`;
    const owner = first.get(key);
    if (owner === undefined) {
      first.set(key, device);
      continue;
    }
    issues.push({
      pointer: pointerOf('devices', device.index, 'unitId'),
      message:
        `device "${device.name}": unit ${device.unitId} on ${device.line} is already polled by device "${owner.name}" ` +
        `(devices[${owner.index}]); two devices would read the same unit and publish its values under both names: ` +
        'give each device on a line its own "unitId"',
    });
  }
  return issues;
}

/** Enabled modbus-rtu / modbus-rtu-tcp devices, with their line's settings where the fields are typed. */
function rtuDevices(devices: unknown): LineDevice[] {
  if (!Array.isArray(devices)) return [];
  const result: LineDevice[] = [];
  devices.forEach((device: unknown, index) => {
    if (field(device, 'enabled') === false) return;
    const driver = field(device, 'driver');
    const name = String(field(device, 'name') ?? `devices[${index}]`);
    const unitId = field(device, 'unitId') ?? 1;
    if (typeof unitId !== 'number') return;
    const fields = driver === 'modbus-rtu' ? SERIAL_FIELDS : TCP_LINE_FIELDS;
    const explicit = fields.filter((f) => field(device, f) !== undefined);
    const typed = explicit.every((f) => typeof field(device, f) === (f === 'parity' ? 'string' : 'number'));
    const shared = { lateReplyGuardMs: field(device, 'lateReplyGuardMs') as number | undefined };
    const interFrameDelayMs = field(device, 'interFrameDelayMs') as number | undefined;
    const port = field(device, 'port');
    if (driver === 'modbus-rtu-tcp') {
      const host = field(device, 'host');
      if (typeof host !== 'string' || typeof port !== 'number') return;
      const settings = rtuLineSettings({ kind: 'tcp', host, port, interFrameDelayMs }, shared);
      result.push({
        index,
        name,
        unitId,
        line: `RTU over TCP ${host}:${port}`,
        explicit,
        ...(typed && { settings }),
      });
      return;
    }
    if (driver !== 'modbus-rtu' || typeof port !== 'string' || port === '') return;
    const line = serialLineOf({ port, ...Object.fromEntries(explicit.map((f) => [f, field(device, f)])) });
    const settings = rtuLineSettings({ kind: 'serial', ...line }, shared);
    result.push({ index, name, unitId, line: `serial ${port}`, port, explicit, ...(typed && { settings }) });
  });
  return result;
}

/**
 * The ports named by modbus-rtu devices, looked at on this machine: missing (a warning), not a serial
 * device or one name of a port another name already opens (errors: run would fail, or open one line as
 * two buses whose requests collide), no read/write permission for this user (a warning: the service
 * user may differ).
 */
export async function checkSerialPorts(devices: unknown): Promise<{ errors: Issue[]; warnings: Issue[] }> {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const byPort = new Map<string, LineDevice>();
  for (const device of rtuDevices(devices)) {
    if (device.port !== undefined && !byPort.has(device.port)) byPort.set(device.port, device);
  }
  const looked = await Promise.all([...byPort.values()].map(async (device) => lookAt(device)));
  const realFirst = new Map<string, LineDevice>();
  for (const { device, real, warning, error } of looked) {
    const pointer = pointerOf('devices', device.index, 'port');
    if (warning !== undefined) warnings.push({ pointer, message: `device "${device.name}": ${warning}` });
    if (error !== undefined) errors.push({ pointer, message: `device "${device.name}": ${error}` });
    if (real === undefined) continue;
    const other = realFirst.get(real);
    if (other === undefined) {
      realFirst.set(real, device);
      continue;
    }
    errors.push({
      pointer,
      message:
        `device "${device.name}": ${device.port} is the same serial port as ${other.port} of device "${other.name}" ` +
        `(devices[${other.index}]; both lead to ${real}): name it the same way in both, so the devices share one line`,
    });
  }
  return { errors, warnings };
}

async function lookAt(
  device: LineDevice,
): Promise<{ device: LineDevice; real?: string; warning?: string; error?: string }> {
  const port = device.port ?? '';
  const info = await stat(port).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code !== 'ENOENT' && info.code !== 'ENOTDIR') {
      return { device, warning: `cannot look at serial port ${port}: ${info.message}` };
    }
    return {
      device,
      warning:
        `serial port ${port} does not exist (yet): the gateway starts anyway and opens it once it appears ` +
        '(a USB adapter plugged in later); `fieldbridge ports` lists the ports this machine has',
    };
  }
  if (!info.isCharacterDevice()) {
    return { device, error: `${port} is not a serial port (not a character device)` };
  }
  const real = await realpath(port).catch(() => port);
  const writable = await access(port, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  if (writable) return { device, real };
  return {
    device,
    real,
    warning:
      `no read/write permission on ${port} for this user: the service user needs it (group dialout, ` +
      'see docs/modbus-rtu.md)',
  };
}
