/**
 * The serial link on a real (virtual) serial line, a socat pty pair (issue 12, point 8): an open
 * aborted while under way never leaves the port open behind it, and a port error (a failed write) ends
 * the link with the error as its reason instead of being swallowed. Whether the port is open is read from this
 * process's file descriptors (/proc/self/fd), not from the link's own idea of it.
 */
import { readdir, readlink, realpath } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { SerialLink, serialLinkOpener } from '../../../drivers/modbus/serial-link.ts';
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

  it('ends the link when the adapter goes away, saying why, and releases the port', async () => {
    const { pty, open, device } = await line();
    const reasons: string[] = [];
    const link = await open(
      { onData: () => {}, onClose: (reason) => reasons.push(reason) },
      new AbortController().signal,
    );
    await pty.unplug();
    // Whichever notices first: the pending read (hang-up) or this write (EIO, an 'error' event, followed
    // by a 'close' without a reason that used to become the bare "closed").
    link.write(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a]));
    expect(await eventually(async () => reasons.length > 0)).toBe(true);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(
      /^serial port \S+ (failed: EIO: i\/o error, write|disconnected \(adapter unplugged\?\))$/,
    );
    expect(link.open).toBe(false);
    expect(await eventually(async () => (await descriptorsOn(device)) === 0)).toBe(true);
  });

  it("ends the link on the port's 'error' event with the error as the reason, once, and closes the port", async () => {
    const { pty, device } = await line();
    // A real open port; its 'error' event is fed directly (a failed write, which the OS cannot be made
    // to produce on demand without also hanging up the line).
    const port = new SerialPort({ path: pty.gateway, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const reasons: string[] = [];
    const link = new SerialLink(
      port,
      pty.gateway,
      { onData: () => {}, onClose: (r) => reasons.push(r) },
      undefined,
    );
    port.emit('error', new Error('EIO: i/o error, write'));
    port.emit('error', new Error('a second one'));
    expect(reasons).toEqual([`serial port ${pty.gateway} failed: EIO: i/o error, write`]);
    expect(link.open).toBe(false);
    expect(await eventually(async () => (await descriptorsOn(device)) === 0)).toBe(true);
    // Nothing is reported after the end, not even the close that follows.
    await sleep(50);
    expect(reasons).toHaveLength(1);
  });

  it('ends a link at once for an error the port raised while it was being opened', async () => {
    const { pty, device } = await line();
    const port = new SerialPort({ path: pty.gateway, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const reasons: string[] = [];
    new SerialLink(
      port,
      pty.gateway,
      { onData: () => {}, onClose: (r) => reasons.push(r) },
      new Error('EBADF'),
    );
    expect(reasons).toEqual([`serial port ${pty.gateway} failed: EBADF`]);
    expect(await eventually(async () => (await descriptorsOn(device)) === 0)).toBe(true);
  });
});
