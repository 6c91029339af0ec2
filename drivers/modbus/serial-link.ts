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
    const port = new SerialPort({
      path: settings.path,
      baudRate: settings.baudRate,
      dataBits: settings.dataBits,
      parity: settings.parity,
      stopBits: settings.stopBits,
      autoOpen: false,
      // RTU is binary: no software flow control, no line-discipline translation.
      xon: false,
      xoff: false,
    });
    // Errors after open are reported through 'close'; without a listener they would crash the process.
    port.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new Error(`open of ${settings.path} aborted`));
      signal.addEventListener('abort', onAbort, { once: true });
      port.open((error) => {
        signal.removeEventListener('abort', onAbort);
        if (error === null || error === undefined) resolve();
        else reject(new Error(`cannot open ${settings.path}: ${errorText(error)}`));
      });
    }).catch((error: unknown) => {
      if (port.isOpen) port.close(() => {});
      throw error;
    });
    if (signal.aborted) {
      await closePort(port);
      throw new Error(`open of ${settings.path} aborted`);
    }
    return new SerialLink(port, settings.path, handlers);
  };
}

class SerialLink implements ByteLink {
  readonly target: string;
  readonly #port: SerialPort;
  #ended = false;

  constructor(port: SerialPort, path: string, handlers: LinkHandlers) {
    this.#port = port;
    this.target = path;
    port.on('data', (chunk: Buffer) => handlers.onData(chunk));
    port.once('close', (error?: Error & { disconnected?: boolean }) => {
      if (this.#ended) return;
      this.#ended = true;
      handlers.onClose(
        error?.disconnected === true
          ? `serial port ${path} disconnected (adapter unplugged?)`
          : `serial port ${path} closed${error ? `: ${errorText(error)}` : ''}`,
      );
    });
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
}

function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) resolve();
    else port.close(() => resolve());
  });
}
