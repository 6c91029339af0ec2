/**
 * The serial link on a real (virtual) serial line, a socat pty pair (issue 12, point 8): an open
 * aborted while under way never leaves the port open behind it, and a failed write ends the link with
 * the OS error as its reason instead of being swallowed. Whether the port is open is read from this
 * process's file descriptors (/proc/self/fd), not from the link's own idea of it.
 */
import { readdir, readlink, realpath } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { serialLinkOpener } from '../../../drivers/modbus/serial-link.ts';
import { sleep, useHarness } from './harness.ts';
import { type PtyPair, ptyPair } from './pty-pair.ts';

const { cleanups } = useHarness();

async function line(): Promise<{ pty: PtyPair; open: ReturnType<typeof serialLinkOpener>; device: string }> {
  const pty = await ptyPair();
  cleanups.push(() => pty.close());
  const open = serialLinkOpener({
    path: pty.gateway,
    baudRate: 115_200,
    dataBits: 8,
    parity: 'even',
    stopBits: 1,
  });
  return { pty, open, device: await realpath(pty.gateway) };
}

/** File descriptors of this process open on `device` (e.g. /dev/pts/7). */
async function descriptorsOn(device: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target === device) count++;
  }
  return count;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}

const ignore = { onData: () => {}, onClose: () => {} };

describe('serial link', () => {
  it('opens the port (one descriptor) and releases it on close', async () => {
    const { open, device } = await line();
    const link = await open(ignore, new AbortController().signal);
    expect(link.open).toBe(true);
    expect(await descriptorsOn(device)).toBe(1);
    await link.close();
    expect(await eventually(async () => (await descriptorsOn(device)) === 0)).toBe(true);
  });

  it('closes a port whose open completes after the open was aborted', async () => {
    const { open, device } = await line();
    const abort = new AbortController();
    const opening = open(ignore, abort.signal);
    // The open runs on libuv's thread pool: aborting in the same turn always beats its completion.
    abort.abort();
    await expect(opening).rejects.toThrow(/open of .* aborted/);
    // The open went on and succeeded; the port it opened must be closed again, not leaked.
    expect(await eventually(async () => (await descriptorsOn(device)) === 0)).toBe(true);
    // Nothing lingers that could reopen it later.
    await sleep(200);
    expect(await descriptorsOn(device)).toBe(0);
  });

  it('does not even try to open when the signal is already aborted', async () => {
    const { open, device } = await line();
    const abort = new AbortController();
    abort.abort();
    await expect(open(ignore, abort.signal)).rejects.toThrow(/aborted/);
    await sleep(100);
    expect(await descriptorsOn(device)).toBe(0);
  });

  it('ends the link with the OS error when a write fails (adapter gone), and releases the port', async () => {
    const { pty, open, device } = await line();
    const reasons: string[] = [];
    const link = await open(
      { onData: () => {}, onClose: (reason) => reasons.push(reason) },
      new AbortController().signal,
    );
    await pty.unplug();
    // The kernel keeps the far end's vanishing to itself until the next write fails with EIO.
    link.write(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a]));
    expect(await eventually(async () => reasons.length > 0)).toBe(true);
    expect(reasons).toEqual([`serial port ${pty.gateway} failed: EIO: i/o error, write`]);
    expect(link.open).toBe(false);
    expect(await eventually(async () => (await descriptorsOn(device).catch(() => 0)) === 0)).toBe(true);
  });
});
