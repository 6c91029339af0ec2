/**
 * TCP links for Modbus TCP and RTU over TCP. TCP_NODELAY is on: Modbus is request/response with tiny
 * frames, and Nagle's algorithm would hold each request back waiting for an ACK.
 */
import { connect, type Socket } from 'node:net';
import { type ByteLink, errorText, type LinkHandlers, type OpenLink } from './link.ts';

export interface TcpLinkOptions {
  readonly host: string;
  readonly port: number;
  /** Bounds the TCP connect. */
  readonly connectTimeoutMs: number;
}

export function tcpLinkOpener(options: TcpLinkOptions): OpenLink {
  return async (handlers, signal) => {
    const socket = await connectSocket(options, signal);
    return new TcpLink(socket, options, handlers);
  };
}

class TcpLink implements ByteLink {
  readonly target: string;
  readonly #socket: Socket;
  readonly #closed: Promise<void>;
  #ended = false;

  constructor(socket: Socket, options: TcpLinkOptions, handlers: LinkHandlers) {
    this.#socket = socket;
    this.target = `${options.host}:${options.port}`;
    let lastError: Error | undefined;
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.on('data', (chunk: Buffer) => handlers.onData(chunk));
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    const ended = () => {
      if (this.#ended) return;
      this.#ended = true;
      handlers.onClose(
        lastError !== undefined ? errorText(lastError) : `connection closed by ${this.target}`,
      );
    };
    // A Modbus peer never half-closes on purpose: its FIN means the connection is over. Acting on 'end'
    // (not waiting for 'close') keeps the next request off a socket the peer has already left.
    socket.once('end', () => {
      ended();
      socket.destroy();
    });
    socket.once('close', ended);
  }

  get open(): boolean {
    return !this.#ended && !this.#socket.destroyed && !this.#socket.readableEnded;
  }

  write(data: Buffer): void {
    if (!this.#ended) this.#socket.write(data);
  }

  close(): Promise<void> {
    this.#ended = true;
    this.#socket.destroy();
    return this.#closed;
  }
}

function connectSocket(options: TcpLinkOptions, signal: AbortSignal): Promise<Socket> {
  const { host, port, connectTimeoutMs } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (reason: string) => {
      cleanup();
      // A late error from the half-open socket must not become an uncaught 'error' event.
      socket.on('error', () => {});
      socket.destroy();
      reject(new Error(reason));
    };
    const onError = (error: Error) => fail(errorText(error));
    const onAbort = () => fail(`connect to ${host}:${port} aborted`);
    const timer = setTimeout(
      () => fail(`connect timeout after ${connectTimeoutMs} ms to ${host}:${port}`),
      connectTimeoutMs,
    );
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    socket.once('connect', () => {
      cleanup();
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
