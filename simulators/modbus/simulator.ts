/**
 * A fast Modbus TCP server for tests, the demo and benchmarks. modbus-serial's ServerTCP defers every
 * request and tops out near 700 requests/s; this one answers inline from typed arrays (>20k req/s on
 * loopback) and can be switched into the failure modes of real field devices (see SimulatorFaults).
 *
 * Framing follows the MBAP header (Modbus Messaging on TCP/IP Implementation Guide V1.0b, 3.1.3): a
 * TCP chunk may hold several requests or only part of one, so each connection reassembles frames.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { healthyFaults, type SimulatorFaults } from './faults.ts';
import { FrameReader } from './frame-reader.ts';
import { respond } from './respond.ts';
import { SimulatedUnit, unitOf } from './unit.ts';

export type { LateReplies, ReplyMode, SimulatorFaults } from './faults.ts';
export { type ExceptionRule, SimulatedUnit } from './unit.ts';

export interface ModbusTcpSimulatorOptions {
  /** Unit ids to create (default [1]); more can be added to `units` at any time. */
  readonly unitIds?: readonly number[];
}

export class ModbusTcpSimulator {
  /** Unit id → its data. Requests for a missing unit answer exception 0B (gateway target failed). */
  readonly units = new Map<number, SimulatedUnit>();
  /** Switch failure modes at any time; they apply to the next request. */
  readonly faults: SimulatorFaults = healthyFaults();
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #requests = 0;
  #connections = 0;

  constructor(options: ModbusTcpSimulatorOptions = {}) {
    for (const id of options.unitIds ?? [1]) this.units.set(id, new SimulatedUnit());
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
  }

  /** The unit with this id (created on first use). */
  unit(id = 1): SimulatedUnit {
    return unitOf(this.units, id);
  }

  /** Requests received (answered or not). */
  get requests(): number {
    return this.#requests;
  }

  /** Connections accepted since listen. */
  get connections(): number {
    return this.#connections;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  listen(port = 0, host = '127.0.0.1'): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address();
        resolve({ port: typeof address === 'object' && address !== null ? address.port : port });
      });
    });
  }

  /** Drops every client connection and stops listening. */
  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => {
      if (!this.#server.listening) resolve();
      else this.#server.close(() => resolve());
    });
  }

  /** Drops every client connection but keeps listening (a device reboot as the client sees it). */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  #accept(socket: Socket): void {
    this.#connections++;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    // Clients vanish without FIN (ECONNRESET); that is normal for a server and must not crash tests.
    socket.on('error', () => {});
    socket.on('close', () => this.#sockets.delete(socket));
    const reader = new FrameReader(
      (frame, offset, length) => this.#handle(socket, frame, offset, length),
      () => socket.destroy(),
    );
    socket.on('data', (chunk: Buffer) => {
      // Corking turns the replies to several pipelined requests of one chunk into one TCP segment.
      socket.cork();
      reader.push(chunk);
      socket.uncork();
    });
  }

  #later(delayMs: number, send: () => void, socket: Socket): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!socket.destroyed && !socket.writableEnded) send();
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Returns false when the connection is finished and the rest of the chunk must be ignored. */
  #handle(socket: Socket, frame: Buffer, offset: number, length: number): boolean {
    if (socket.writableEnded || socket.destroyed) return false;
    this.#requests++;
    const faults = this.faults;
    if (faults.neverAnswer) return true;
    const unitId = frame[offset + 6]!;
    const reply = corrupt(respond(this.units.get(unitId), frame, offset, length), faults);
    const late = faults.late;
    if (late !== undefined && this.#requests % late.every === 0) {
      markLate(reply, 7, late.value);
      this.#later(late.delayMs, () => socket.write(reply), socket);
      return true;
    }
    if (faults.delayMs > 0) {
      const close = faults.closeAfterEachRequest;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (socket.destroyed || socket.writableEnded) return;
        if (close) socket.end(reply);
        else socket.write(reply);
      }, faults.delayMs);
      this.#timers.add(timer);
      return !close;
    }
    if (faults.closeAfterEachRequest) {
      socket.end(reply);
      return false;
    }
    socket.write(reply);
    return true;
  }
}

/** Sets every register of a register-read reply (PDU at `pdu`) to `value`, the late reply's mark. */
export function markLate(reply: Buffer, pdu: number, value: number): void {
  const fc = reply[pdu];
  if (fc !== 3 && fc !== 4) return;
  const end = pdu + 2 + reply[pdu + 1]!;
  for (let o = pdu + 2; o + 1 < end; o += 2) reply.writeUInt16BE(value, o);
}

/** Applies the reply-mode fault to a correct reply. */
function corrupt(reply: Buffer, faults: SimulatorFaults): Buffer {
  switch (faults.reply) {
    case 'normal':
      return reply;
    case 'garbage':
      // Claims one more data byte than it carries, inside a correctly framed ADU.
      if (reply.length > 8) reply[8] = (reply[8]! + 1) & 0xff;
      else reply[7] = 0x2a;
      return reply;
    case 'truncated':
      return reply.subarray(0, Math.max(1, reply.length >> 1));
    case 'wrong-transaction':
      reply.writeUInt16BE((reply.readUInt16BE(0) + 1) & 0xffff, 0);
      return reply;
    case 'wrong-unit':
      reply[6] = (reply[6]! + 1) & 0xff;
      return reply;
  }
}
