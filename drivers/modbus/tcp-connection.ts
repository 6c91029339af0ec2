/**
 * One Modbus TCP connection to one unit, built on modbus-serial. We open the socket ourselves and hand
 * it to modbus-serial (linkTCP) so that we own its error handling, TCP_NODELAY and the connect timeout,
 * and so a closed connection fails the request in flight at once instead of after the request timeout.
 * `read` never rejects: every outcome is a BlockResult.
 */
import { connect, type Socket } from 'node:net';
import type { BlockResult, ReadBlock, ReadFailure } from '../../mappings/modbus/read-plan.ts';
import { describeBlock, describeModbusException } from './exceptions.ts';
import { ModbusClient } from './modbus-serial-client.ts';

export interface ModbusTcpConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  /** Bounds the TCP connect and every request. */
  readonly timeoutMs: number;
  /** Called once when the peer or the network ends the connection (not after our own close()). */
  readonly onLost: (reason: string) => void;
  /** Aborts a connect in progress. */
  readonly signal?: AbortSignal;
}

interface ReadResult {
  readonly buffer: Buffer;
}

/** Rejects with an Error whose message names the cause, e.g. "connect ECONNREFUSED 127.0.0.1:1502". */
export async function openModbusTcpConnection(
  options: ModbusTcpConnectionOptions,
): Promise<ModbusTcpConnection> {
  const socket = await connectSocket(options);
  const client = new ModbusClient();
  await client.linkTCP(socket, { port: options.port });
  // Set after linking: modbus-serial would otherwise also arm an idle timer on the socket.
  client.setID(options.unitId);
  client.setTimeout(options.timeoutMs);
  return new ModbusTcpConnection(socket, client, options);
}

export class ModbusTcpConnection {
  readonly #socket: Socket;
  readonly #client: ModbusClient;
  readonly #options: ModbusTcpConnectionOptions;
  readonly #socketClosed: Promise<void>;
  #lastError: Error | undefined;
  #closedReason: string | undefined;
  /** Resolves the request in flight; called with a 'disconnected' result when the connection ends. */
  #pending: ((result: BlockResult) => void) | undefined;

  constructor(socket: Socket, client: ModbusClient, options: ModbusTcpConnectionOptions) {
    this.#socket = socket;
    this.#client = client;
    this.#options = options;
    socket.on('error', (error) => {
      this.#lastError = error;
    });
    // modbus-serial relays port errors as 'error' events; without a listener they would crash the process.
    client.on('error', () => {});
    this.#socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => {
      if (this.#closedReason !== undefined) return;
      const reason =
        this.#lastError !== undefined
          ? errorText(this.#lastError)
          : `connection closed by ${options.host}:${options.port}`;
      this.#end(reason);
      options.onLost(reason);
    });
  }

  get closed(): boolean {
    return this.#closedReason !== undefined;
  }

  read(block: ReadBlock): Promise<BlockResult> {
    if (this.#closedReason !== undefined) return Promise.resolve(disconnected(this.#closedReason));
    return new Promise<BlockResult>((resolve) => {
      this.#pending = resolve;
      request(this.#client, block).then(
        (result) => resolve(toBlockResult(block, result)),
        (error: unknown) => resolve(this.#failure(block, error)),
      );
    }).finally(() => {
      this.#pending = undefined;
    });
  }

  /** Closes without calling onLost; resolves when the socket is fully closed. */
  close(reason = 'closed'): Promise<void> {
    this.#end(reason);
    return this.#socketClosed;
  }

  #end(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    this.#pending?.(disconnected(reason));
    // destroy() also cancels modbus-serial's per-request timers, so no timer outlives the connection.
    this.#client.destroy(() => {});
    this.#socket.destroy();
  }

  #failure(block: ReadBlock, error: unknown): BlockResult {
    const code = (error as { modbusCode?: unknown }).modbusCode;
    if (typeof code === 'number') {
      return fail({
        kind: 'exception',
        exception: code,
        message: `${describeModbusException(code)} reading ${describeBlock(block)}`,
      });
    }
    if ((error as { errno?: unknown }).errno === 'ETIMEDOUT') {
      return fail({
        kind: 'timeout',
        message: `timeout after ${this.#options.timeoutMs} ms reading ${describeBlock(block)}`,
      });
    }
    if (this.#closedReason !== undefined || !this.#client.isOpen) {
      return disconnected(this.#closedReason ?? 'connection closed');
    }
    return fail({
      kind: 'protocol',
      message: `bad reply reading ${describeBlock(block)}: ${errorText(error)}`,
    });
  }
}

function request(client: ModbusClient, block: ReadBlock): Promise<ReadResult> {
  switch (block.area) {
    case 'coil':
      return client.readCoils(block.start, block.count);
    case 'discrete':
      return client.readDiscreteInputs(block.start, block.count);
    case 'holding':
      return client.readHoldingRegisters(block.start, block.count);
    case 'input':
      return client.readInputRegisters(block.start, block.count);
  }
}

/**
 * modbus-serial checks the reply's total length but not its byte-count field, so a corrupt reply can
 * pass as data: compare the payload with what was asked before trusting it.
 */
function toBlockResult(block: ReadBlock, result: ReadResult): BlockResult {
  const payload = result.buffer;
  const count = block.count;
  if (block.area === 'holding' || block.area === 'input') {
    if (payload.length !== 2 * count) return badLength(block, payload.length, 2 * count);
    const registers = new Uint16Array(count);
    for (let i = 0; i < count; i++) registers[i] = (payload[2 * i]! << 8) | payload[2 * i + 1]!;
    return { ok: true, registers };
  }
  const bytes = (count + 7) >> 3;
  if (payload.length !== bytes) return badLength(block, payload.length, bytes);
  const bits = new Uint8Array(count);
  for (let i = 0; i < count; i++) bits[i] = (payload[i >> 3]! >> (i & 7)) & 1;
  return { ok: true, bits };
}

function badLength(block: ReadBlock, got: number, expected: number): BlockResult {
  return fail({
    kind: 'protocol',
    message: `bad reply reading ${describeBlock(block)}: ${got} data bytes, expected ${expected}`,
  });
}

function fail(failure: ReadFailure): BlockResult {
  return { ok: false, failure };
}

function disconnected(reason: string): BlockResult {
  return fail({ kind: 'disconnected', message: reason });
}

/** Node reports a failed multi-address connect as an AggregateError with an empty message. */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(errorText).join('; ');
  }
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}

function connectSocket(options: ModbusTcpConnectionOptions): Promise<Socket> {
  const { host, port, timeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
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
      () => fail(`connect timeout after ${timeoutMs} ms to ${host}:${port}`),
      timeoutMs,
    );
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    socket.once('connect', () => {
      cleanup();
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
