/**
 * A byte stream to a Modbus peer: a TCP socket (Modbus TCP, RTU over TCP) or a serial port (RTU). The
 * session above it does all framing; a link only moves bytes and reports its end once.
 */
export interface LinkHandlers {
  onData(chunk: Buffer): void;
  /** Called once when the peer, the network or the OS ends the link (not after our own close()). */
  onClose(reason: string): void;
}

export interface ByteLink {
  /** "127.0.0.1:502", "/dev/ttyUSB0": for messages. */
  readonly target: string;
  /** False once the peer has ended its side: a request written now would be lost. */
  readonly open: boolean;
  write(data: Buffer): void;
  /** Closes without calling onClose; resolves when the underlying handle is released. */
  close(): Promise<void>;
}

/** Opens a link; rejects with an Error naming the cause (e.g. "connect ECONNREFUSED 127.0.0.1:1502"). */
export type OpenLink = (handlers: LinkHandlers, signal: AbortSignal) => Promise<ByteLink>;

/** Node reports a failed multi-address connect as an AggregateError with an empty message. */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(errorText).join('; ');
  }
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
