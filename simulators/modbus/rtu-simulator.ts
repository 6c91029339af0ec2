/**
 * A Modbus RTU slave bus for tests and demos: several simulated units behind one byte stream, served on
 * a serial port (e.g. one end of a `socat` pty pair) or over TCP (a serial server's RTU-over-TCP).
 * Units missing from `units` stay silent, as on a real multi-drop line; broadcasts (unit 0) are not
 * answered. Requests are answered by the TCP simulator's `respond` (one implementation of the data
 * model and its exceptions), re-framed as RTU with CRC, and can be corrupted in the ways a field line
 * corrupts them (RtuFaults).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { createCrc16 } from '../../drivers/modbus/protocol/crc16.ts';
import type { LateReplies } from './faults.ts';
import { respond } from './respond.ts';
import { markLate } from './simulator.ts';
import { SimulatedUnit, unitOf } from './unit.ts';

export type RtuReplyMode =
  | 'normal'
  /** Bytes that are no frame at all (line noise). */
  | 'garbage'
  /** The first half of the reply only. */
  | 'truncated'
  /** The last CRC byte flipped. */
  | 'bad-crc'
  /** A correct frame from the next unit id. */
  | 'wrong-unit'
  /** A correct frame with another function code (3 ↔ 4, others +1). */
  | 'wrong-function';

export interface RtuFaults {
  delayMs: number;
  /** Units that never answer (a dead slave on the line). */
  readonly silentUnits: Set<number>;
  reply: RtuReplyMode;
  late: LateReplies | undefined;
}

interface Endpoint {
  write(data: Buffer): void;
  readonly alive: () => boolean;
}

export class RtuSlaveSimulator {
  /** Unit id → its data; other unit ids are silent. */
  readonly units = new Map<number, SimulatedUnit>();
  readonly faults: RtuFaults = { delayMs: 0, silentUnits: new Set(), reply: 'normal', late: undefined };
  readonly #crc = createCrc16();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #closers: (() => Promise<void>)[] = [];
  /** Requests received per unit id (CRC-valid frames only). */
  readonly requestsByUnit = new Map<number, number>();
  #requests = 0;
  #badFrames = 0;

  constructor(unitIds: readonly number[] = [1]) {
    for (const id of unitIds) this.units.set(id, new SimulatedUnit());
  }

  unit(id: number): SimulatedUnit {
    return unitOf(this.units, id);
  }

  /** CRC-valid requests received. */
  get requests(): number {
    return this.#requests;
  }

  /** Frames dropped for a bad CRC or an unknown function code. */
  get badFrames(): number {
    return this.#badFrames;
  }

  /** Serves on a serial port path (a pty from socat works). */
  async openSerial(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
    port.on('error', () => {});
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const receive = this.#receiver({ write: (data) => port.write(data), alive: () => port.isOpen });
    port.on('data', receive);
    this.#closers.push(
      () => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    );
  }

  /** Serves RTU frames over TCP on 127.0.0.1 (a serial-to-Ethernet server in "TCP server" mode). */
  async listenTcp(port = 0): Promise<{ port: number }> {
    const sockets = new Set<Socket>();
    const server: Server = createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      socket.on(
        'data',
        this.#receiver({ write: (data) => socket.write(data), alive: () => !socket.destroyed }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#closers.push(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const address = server.address();
    return { port: typeof address === 'object' && address !== null ? address.port : port };
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#closers.splice(0).map((close) => close()));
  }

  /** Reassembles request frames by their function code's length; a bad CRC drops what is buffered. */
  #receiver(endpoint: Endpoint): (chunk: Buffer) => void {
    let buffered = Buffer.alloc(0);
    return (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const length = requestLength(buffered);
        if (length === undefined) break;
        if (length < 0 || buffered.length > 300) {
          this.#badFrames++;
          buffered = Buffer.alloc(0);
          break;
        }
        if (buffered.length < length) break;
        const frame = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        if (this.#crc(frame, 0, length - 2) !== frame.readUInt16LE(length - 2)) {
          this.#badFrames++;
          buffered = Buffer.alloc(0);
          break;
        }
        this.#handle(endpoint, frame);
      }
    };
  }

  #handle(endpoint: Endpoint, frame: Buffer): void {
    this.#requests++;
    const unitId = frame[0]!;
    this.requestsByUnit.set(unitId, (this.requestsByUnit.get(unitId) ?? 0) + 1);
    const unit = this.units.get(unitId);
    if (unitId === 0 || unit === undefined || this.faults.silentUnits.has(unitId)) return;
    // respond() speaks MBAP: wrap the PDU in a 7-byte header, and unwrap the reply.
    const pduLength = frame.length - 3;
    const mbap = Buffer.alloc(7 + pduLength);
    mbap.writeUInt16BE(pduLength + 1, 4);
    mbap[6] = unitId;
    frame.copy(mbap, 7, 1, 1 + pduLength);
    const answer = respond(unit, mbap, 0, pduLength + 1);
    const reply = Buffer.alloc(answer.length - 7 + 3);
    reply[0] = unitId;
    answer.copy(reply, 1, 7);
    const late = this.faults.late;
    const isLate = late !== undefined && this.#requests % late.every === 0;
    if (isLate) markLate(reply, 1, late.value);
    const bytes = this.#corrupt(reply);
    const delay = isLate ? late.delayMs : this.faults.delayMs;
    if (delay <= 0) {
      endpoint.write(bytes);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (endpoint.alive()) endpoint.write(bytes);
    }, delay);
    this.#timers.add(timer);
  }

  /** Signs the frame (CRC) and applies the reply-mode fault. */
  #corrupt(reply: Buffer): Buffer {
    const sign = (frame: Buffer) => {
      frame.writeUInt16LE(this.#crc(frame, 0, frame.length - 2), frame.length - 2);
      return frame;
    };
    switch (this.faults.reply) {
      case 'normal':
        return sign(reply);
      case 'garbage':
        return Buffer.from([0xff, 0x00, 0xa5, 0x5a, 0x13, 0x37]);
      case 'truncated':
        return sign(reply).subarray(0, Math.max(2, reply.length >> 1));
      case 'bad-crc': {
        const signed = sign(reply);
        signed[signed.length - 1] = signed[signed.length - 1]! ^ 0xff;
        return signed;
      }
      case 'wrong-unit':
        reply[0] = (reply[0]! + 1) & 0xff;
        return sign(reply);
      case 'wrong-function':
        reply[1] = reply[1] === 3 ? 4 : reply[1] === 4 ? 3 : (reply[1]! + 1) & 0xff;
        return sign(reply);
    }
  }
}

/** Bytes of the request frame at the start of `data` (unit, PDU, CRC); undefined: not known yet; -1: unknown FC. */
function requestLength(data: Buffer): number | undefined {
  if (data.length < 2) return undefined;
  const fc = data[1]!;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return data.length < 7 ? undefined : 9 + data[6]!;
  return -1;
}
