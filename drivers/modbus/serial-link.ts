/**
 * A serial-port link (RS-485/RS-232 adapter) through `serialport`. An unplugged USB adapter shows up as
 * a 'close' event with `disconnected: true`; the bus then reopens the same path with backoff, which also
 * works when the adapter comes back (udev gives it the same /dev/serial/by-id name).
 */
import { SerialPort } from 'serialport';
import { type ByteLink, errorText, type LinkHandlers, type OpenLink } from './link.ts';

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface SerialLineSettings {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 7 | 8;
  readonly parity: Parity;
  readonly stopBits: 1 | 2;
}

export function serialLinkOpener(settings: SerialLineSettings): OpenLink {
  return async (handlers, signal) => {
    const { path } = settings;
    if (signal.aborted) throw new Error(`open of ${path} aborted`);
    const port = new SerialPort({
      path,
      baudRate: settings.baudRate,
      dataBits: settings.dataBits,
      parity: settings.parity,
      stopBits: settings.stopBits,
      autoOpen: false,
      // RTU is binary: no software flow control, no line-discipline translation.
      xon: false,
      xoff: false,
    });
    // Until the link takes over: an 'error' without a listener would crash the process. Errors of the
    // open itself go to its callback; anything else is kept and ends the link as soon as it exists.
    let early: Error | undefined;
    const keep = (error: Error) => {
      early ??= error;
    };
    port.on('error', keep);
    await openPort(port, path, signal);
    port.off('error', keep);
    return new SerialLink(port, path, handlers, early);
  };
}

/**
 * Opens the port; an abort rejects at once. The open itself cannot be cancelled and goes on in the
 * background: if it succeeds after the abort, the port is closed then, or it would stay open (and the
 * device busy) for the life of the process.
 */
function openPort(port: SerialPort, path: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      reject(new Error(`open of ${path} aborted`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    port.open((error) => {
      signal.removeEventListener('abort', onAbort);
      const failed = error !== null && error !== undefined;
      if (abandoned) {
        if (!failed) void closePort(port);
        return;
      }
      if (failed) reject(new Error(`cannot open ${path}: ${errorText(error)}`));
      else resolve();
    });
  });
}

/** An open port as a link (exported for the tests, which feed its port events directly). */
export class SerialLink implements ByteLink {
  readonly target: string;
  readonly #port: SerialPort;
  readonly #handlers: LinkHandlers;
  #ended = false;

  constructor(port: SerialPort, path: string, handlers: LinkHandlers, early: Error | undefined) {
    this.#port = port;
    this.target = path;
    this.#handlers = handlers;
    port.on('data', (chunk: Buffer) => handlers.onData(chunk));
    // A failed write (EIO from an adapter that is gone) comes as 'error', then as a 'close' without a
    // reason: the error is the reason. The link ends with it and the bus reopens the line.
    port.on('error', (error: Error) => this.#end(`serial port ${path} failed: ${errorText(error)}`));
    port.once('close', (error?: Error & { disconnected?: boolean }) => {
      this.#end(
        error?.disconnected === true
          ? `serial port ${path} disconnected (adapter unplugged?)`
          : `serial port ${path} closed${error ? `: ${errorText(error)}` : ''}`,
      );
    });
    if (early !== undefined) this.#end(`serial port ${path} failed: ${errorText(early)}`);
  }

  get open(): boolean {
    return !this.#ended && this.#port.isOpen;
  }

  write(data: Buffer): void {
    if (!this.#ended) this.#port.write(data);
  }

  close(): Promise<void> {
    this.#ended = true;
    return closePort(this.#port);
  }

  /** Reports the end once (not after our own close) and releases the port. */
  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    void closePort(this.#port);
    this.#handlers.onClose(reason);
  }
}

function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) resolve();
    else port.close(() => resolve());
  });
}
