/**
 * Answers one Modbus TCP request (an ADU: 7-byte MBAP header + PDU) against a SimulatedUnit. Checks run
 * in the order of the specification's state diagrams (V1.1b3, section 6): function code (01), quantity
 * and byte count (03), address range (02), then the unit's exception rules. The reply is the only
 * allocation: this is the simulator's hot path.
 */

import { MODBUS_EXCEPTION } from '../../drivers/modbus/exceptions.ts';
import type { ModbusArea } from '../../mappings/schema.ts';
import { ADDRESS_SPACE, type SimulatedUnit } from './unit.ts';

const MBAP_LENGTH = 7;
const MAX_READ_BITS = 2000;
const MAX_READ_REGISTERS = 125;
const MAX_WRITE_BITS = 1968;
const MAX_WRITE_REGISTERS = 123;

/** `frame[offset]` is the first MBAP byte; `length` is the MBAP length field (unit id + PDU bytes). */
export function respond(
  unit: SimulatedUnit | undefined,
  frame: Buffer,
  offset: number,
  length: number,
): Buffer {
  const fc = frame[offset + 7]!;
  if (unit === undefined) return exception(frame, offset, fc, MODBUS_EXCEPTION.gatewayTargetFailedToRespond);
  const pduLength = length - 1;
  const p = offset + MBAP_LENGTH;
  switch (fc) {
    case 1:
    case 2:
      return readBits(unit, frame, offset, fc, pduLength, p);
    case 3:
    case 4:
      return readRegisters(unit, frame, offset, fc, pduLength, p);
    case 5:
      return writeSingleCoil(unit, frame, offset, pduLength, p);
    case 6:
      return writeSingleRegister(unit, frame, offset, pduLength, p);
    case 15:
      return writeMultipleCoils(unit, frame, offset, pduLength, p);
    case 16:
      return writeMultipleRegisters(unit, frame, offset, pduLength, p);
    default:
      return exception(frame, offset, fc, MODBUS_EXCEPTION.illegalFunction);
  }
}

function readBits(
  unit: SimulatedUnit,
  frame: Buffer,
  offset: number,
  fc: number,
  pduLength: number,
  p: number,
) {
  const range = readRange(
    unit,
    frame,
    offset,
    fc,
    pduLength,
    p,
    fc === 1 ? 'coil' : 'discrete',
    MAX_READ_BITS,
  );
  if (Buffer.isBuffer(range)) return range;
  const { start, count } = range;
  const source = fc === 1 ? unit.coils : unit.discrete;
  const byteCount = (count + 7) >> 3;
  const reply = header(frame, offset, 2 + byteCount);
  reply[7] = fc;
  reply[8] = byteCount;
  // Buffer.alloc zero-fills, so only set bits need writing (and the padding bits stay 0 as required).
  for (let i = 0; i < count; i++) {
    if (source[start + i] !== 0) reply[9 + (i >> 3)]! |= 1 << (i & 7);
  }
  return reply;
}

function readRegisters(
  unit: SimulatedUnit,
  frame: Buffer,
  offset: number,
  fc: number,
  pduLength: number,
  p: number,
) {
  const area: ModbusArea = fc === 3 ? 'holding' : 'input';
  const range = readRange(unit, frame, offset, fc, pduLength, p, area, MAX_READ_REGISTERS);
  if (Buffer.isBuffer(range)) return range;
  const { start, count } = range;
  const source = fc === 3 ? unit.holding : unit.input;
  const reply = header(frame, offset, 2 + 2 * count);
  reply[7] = fc;
  reply[8] = 2 * count;
  for (let i = 0, o = 9; i < count; i++, o += 2) {
    const value = source[start + i]!;
    reply[o] = value >> 8;
    reply[o + 1] = value & 0xff;
  }
  return reply;
}

function writeSingleCoil(unit: SimulatedUnit, frame: Buffer, offset: number, pduLength: number, p: number) {
  if (pduLength !== 5) return exception(frame, offset, 5, MODBUS_EXCEPTION.illegalDataValue);
  const address = frame.readUInt16BE(p + 1);
  const value = frame.readUInt16BE(p + 3);
  if (value !== 0xff00 && value !== 0x0000)
    return exception(frame, offset, 5, MODBUS_EXCEPTION.illegalDataValue);
  const code = check(unit, 'coil', address, 1);
  if (code !== 0) return exception(frame, offset, 5, code);
  unit.coils[address] = value === 0xff00 ? 1 : 0;
  return echo(frame, offset, 5);
}

function writeSingleRegister(
  unit: SimulatedUnit,
  frame: Buffer,
  offset: number,
  pduLength: number,
  p: number,
) {
  if (pduLength !== 5) return exception(frame, offset, 6, MODBUS_EXCEPTION.illegalDataValue);
  const address = frame.readUInt16BE(p + 1);
  const code = check(unit, 'holding', address, 1);
  if (code !== 0) return exception(frame, offset, 6, code);
  unit.holding[address] = frame.readUInt16BE(p + 3);
  return echo(frame, offset, 5);
}

function writeMultipleCoils(
  unit: SimulatedUnit,
  frame: Buffer,
  offset: number,
  pduLength: number,
  p: number,
) {
  if (pduLength < 6) return exception(frame, offset, 15, MODBUS_EXCEPTION.illegalDataValue);
  const start = frame.readUInt16BE(p + 1);
  const count = frame.readUInt16BE(p + 3);
  const byteCount = frame[p + 5]!;
  if (count < 1 || count > MAX_WRITE_BITS || byteCount !== (count + 7) >> 3 || pduLength !== 6 + byteCount) {
    return exception(frame, offset, 15, MODBUS_EXCEPTION.illegalDataValue);
  }
  const code = check(unit, 'coil', start, count);
  if (code !== 0) return exception(frame, offset, 15, code);
  for (let i = 0; i < count; i++) unit.coils[start + i] = (frame[p + 6 + (i >> 3)]! >> (i & 7)) & 1;
  return echo(frame, offset, 5);
}

function writeMultipleRegisters(
  unit: SimulatedUnit,
  frame: Buffer,
  offset: number,
  pduLength: number,
  p: number,
) {
  if (pduLength < 6) return exception(frame, offset, 16, MODBUS_EXCEPTION.illegalDataValue);
  const start = frame.readUInt16BE(p + 1);
  const count = frame.readUInt16BE(p + 3);
  const byteCount = frame[p + 5]!;
  if (count < 1 || count > MAX_WRITE_REGISTERS || byteCount !== 2 * count || pduLength !== 6 + byteCount) {
    return exception(frame, offset, 16, MODBUS_EXCEPTION.illegalDataValue);
  }
  const code = check(unit, 'holding', start, count);
  if (code !== 0) return exception(frame, offset, 16, code);
  for (let i = 0; i < count; i++) unit.holding[start + i] = frame.readUInt16BE(p + 6 + 2 * i);
  return echo(frame, offset, 5);
}

/** 0 when [start, start + count) lies inside the address space and no rule objects. */
/** The start and count of a read request (FC 1–4), or the exception reply when it is malformed or refused. */
function readRange(
  unit: SimulatedUnit,
  frame: Buffer,
  offset: number,
  fc: number,
  pduLength: number,
  p: number,
  area: ModbusArea,
  maxCount: number,
): { readonly start: number; readonly count: number } | Buffer {
  if (pduLength !== 5) return exception(frame, offset, fc, MODBUS_EXCEPTION.illegalDataValue);
  const start = frame.readUInt16BE(p + 1);
  const count = frame.readUInt16BE(p + 3);
  if (count < 1 || count > maxCount) return exception(frame, offset, fc, MODBUS_EXCEPTION.illegalDataValue);
  const code = check(unit, area, start, count);
  return code === 0 ? { start, count } : exception(frame, offset, fc, code);
}

function check(unit: SimulatedUnit, area: ModbusArea, start: number, count: number): number {
  if (start + count > ADDRESS_SPACE) return MODBUS_EXCEPTION.illegalDataAddress;
  return unit.exceptionFor(area, start, count);
}

/** A reply buffer with the request's transaction id, protocol id 0, `length` and unit id filled in. */
function header(frame: Buffer, offset: number, pduLength: number): Buffer {
  const reply = Buffer.alloc(MBAP_LENGTH + pduLength);
  reply[0] = frame[offset]!;
  reply[1] = frame[offset + 1]!;
  reply.writeUInt16BE(pduLength + 1, 4);
  reply[6] = frame[offset + 6]!;
  return reply;
}

function exception(frame: Buffer, offset: number, fc: number, code: number): Buffer {
  const reply = header(frame, offset, 2);
  reply[7] = fc | 0x80;
  reply[8] = code;
  return reply;
}

/** Write replies repeat the first `pduLength` bytes of the request PDU. */
function echo(frame: Buffer, offset: number, pduLength: number): Buffer {
  const reply = header(frame, offset, pduLength);
  frame.copy(reply, MBAP_LENGTH, offset + MBAP_LENGTH, offset + MBAP_LENGTH + pduLength);
  return reply;
}
