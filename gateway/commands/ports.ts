/**
 * `fieldbridge ports`: lists the serial ports the gateway could use for Modbus RTU (SerialPort.list()),
 * with the stable /dev/serial/by-id names to put in the config. In a container without udev the list
 * is often empty even with an adapter passed through: say why and how to find the port by hand.
 */
import { readdir, readlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Output } from '../cli.ts';

export interface SerialPortInfo {
  readonly path: string;
  readonly manufacturer?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
}

export interface PortsDeps {
  /** Default: SerialPort.list() from serialport. */
  readonly list?: () => Promise<readonly SerialPortInfo[]>;
  /** Default /dev/serial/by-id. */
  readonly byIdDir?: string;
}

export async function runPorts(argv: readonly string[], out: Output, deps: PortsDeps = {}): Promise<number> {
  if (argv.length > 0) {
    out.error(`fieldbridge ports takes no arguments (got ${argv.join(' ')})`);
    return 2;
  }
  const byId = await stableNames(deps.byIdDir ?? '/dev/serial/by-id');
  let ports: readonly SerialPortInfo[];
  try {
    ports = await (deps.list ?? defaultList)();
  } catch (error) {
    // serialport lists through udev (udevadm); containers usually have none.
    out.log(`The serial port list is not available here: ${(error as Error).message}.`);
    ports = [];
  }
  if (ports.length === 0) {
    out.log('No serial ports found through udev.');
    out.log('Inside a container without udev (or without the device passed in, e.g.');
    out.log('docker run --device /dev/ttyUSB0) the list is empty even when an adapter is plugged in.');
    out.log(
      'Find the port by hand: ls -l /dev/serial/by-id/ (stable names) or ls /dev/ttyUSB* /dev/ttyACM*,',
    );
    out.log('and check `dmesg | tail` right after plugging the adapter in.');
    if (byId.size > 0) {
      out.log('Stable names found in /dev/serial/by-id:');
      for (const [path, stable] of byId) out.log(`  ${stable} -> ${path}`);
    }
    return 0;
  }
  out.log('Serial ports (use the /dev/serial/by-id name in "port": it survives replugging):');
  for (const port of ports) {
    const details = [port.manufacturer, port.serialNumber && `serial ${port.serialNumber}`, usbId(port)]
      .filter((d) => d !== undefined && d !== '')
      .join(', ');
    out.log(`  ${port.path}${details === '' ? '' : `  (${details})`}`);
    const stable = byId.get(port.path);
    if (stable !== undefined) out.log(`    ${stable}`);
  }
  return 0;
}

async function defaultList(): Promise<readonly SerialPortInfo[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

function usbId(port: SerialPortInfo): string | undefined {
  return port.vendorId !== undefined && port.productId !== undefined
    ? `USB ${port.vendorId}:${port.productId}`
    : undefined;
}

/** Device path → its /dev/serial/by-id link (empty when the directory does not exist). */
async function stableNames(dir: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return names;
  }
  for (const entry of entries) {
    try {
      names.set(resolve(dir, await readlink(resolve(dir, entry))), resolve(dir, entry));
    } catch {
      // Not a link: ignore.
    }
  }
  return names;
}
