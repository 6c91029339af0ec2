import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPorts } from '../../../gateway/commands/ports.ts';

function output() {
  const log: string[] = [];
  const error: string[] = [];
  return { out: { log: (l: string) => log.push(l), error: (l: string) => error.push(l) }, log, error };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('fieldbridge ports', () => {
  it('explains an empty list (no udev in a container) and how to find ports', async () => {
    const { out, log } = output();
    expect(await runPorts([], out, { list: async () => [], byIdDir: '/nonexistent' })).toBe(0);
    expect(log[0]).toBe('No serial ports found through udev.');
    expect(log.join('\n')).toMatch(/container without udev/);
    expect(log.join('\n')).toMatch(/ls -l \/dev\/serial\/by-id\//);
  });

  it('lists ports with their details and stable by-id names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'by-id-'));
    dirs.push(dir);
    await symlink('/dev/ttyUSB0', join(dir, 'usb-FTDI_FT232R-if00-port0'));
    const { out, log } = output();
    const code = await runPorts([], out, {
      byIdDir: dir,
      list: async () => [
        {
          path: '/dev/ttyUSB0',
          manufacturer: 'FTDI',
          serialNumber: 'A1B2',
          vendorId: '0403',
          productId: '6001',
        },
        { path: '/dev/ttyS0' },
      ],
    });
    expect(code).toBe(0);
    expect(log).toEqual([
      'Serial ports (use the /dev/serial/by-id name in "port": it survives replugging):',
      '  /dev/ttyUSB0  (FTDI, serial A1B2, USB 0403:6001)',
      `    ${join(dir, 'usb-FTDI_FT232R-if00-port0')}`,
      '  /dev/ttyS0',
    ]);
  });

  it('explains a failing list (no udevadm) and still shows the stable names it can find', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'by-id-'));
    dirs.push(dir);
    await symlink('/dev/ttyUSB1', join(dir, 'usb-CH340-if00-port0'));
    const failing = output();
    const list = () => Promise.reject(new Error('spawn udevadm ENOENT'));
    expect(await runPorts([], failing.out, { list, byIdDir: dir })).toBe(0);
    expect(failing.log[0]).toBe('The serial port list is not available here: spawn udevadm ENOENT.');
    expect(failing.log).toContain('No serial ports found through udev.');
    expect(failing.log.at(-1)).toBe(`  ${join(dir, 'usb-CH340-if00-port0')} -> /dev/ttyUSB1`);
  });

  it('rejects stray arguments', async () => {
    const stray = output();
    expect(await runPorts(['x'], stray.out)).toBe(2);
    expect(stray.error).toEqual(['fieldbridge ports takes no arguments (got x)']);
  });

  it('lists the real ports of this machine without failing', async () => {
    const { out, log } = output();
    expect(await runPorts([], out)).toBe(0);
    expect(log.length).toBeGreaterThan(0);
  });
});
