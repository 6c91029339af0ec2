/** A bare Modbus TCP client for simulator tests: sends raw bytes, hands back whole MBAP replies. */
import { connect, type Socket } from 'node:net';

export interface RawClient {
  send(bytes: Buffer | number[]): void;
  /** The next complete reply frame (MBAP header included). */
  reply(): Promise<Buffer>;
  /** Resolves when the server has closed the connection. */
  closed(): Promise<void>;
  close(): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  let buffered = Buffer.alloc(0);
  const frames: Buffer[] = [];
  const waiting: ((frame: Buffer) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 6 && buffered.length >= 6 + buffered.readUInt16BE(4)) {
      const frame = buffered.subarray(0, 6 + buffered.readUInt16BE(4));
      buffered = buffered.subarray(frame.length);
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(frame);
      else frames.push(frame);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    send: (bytes) => socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)),
    reply: () => {
      const frame = frames.shift();
      return frame !== undefined ? Promise.resolve(frame) : new Promise((resolve) => waiting.push(resolve));
    },
    closed: () => closed,
    close: () => socket.destroy(),
  };
}

/** An MBAP request frame: transaction id, protocol 0, length, unit, then the PDU bytes. */
export function request(transactionId: number, unitId: number, pdu: number[]): Buffer {
  const frame = Buffer.alloc(7 + pdu.length);
  frame.writeUInt16BE(transactionId, 0);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame[6] = unitId;
  Buffer.from(pdu).copy(frame, 7);
  return frame;
}

/** PDU of a read request (FC 1-4). */
export function readPdu(fc: number, start: number, count: number): number[] {
  return [fc, start >> 8, start & 0xff, count >> 8, count & 0xff];
}
