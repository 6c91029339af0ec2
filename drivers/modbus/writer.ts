/**
 * Writes (FC 5/6/15/16) with read-back verification, as an ability separate from Driver (optional
 * abilities are separate interfaces). A write runs alone on the bus, before the next poll.
 */
import type { ReadBlock } from '../../mappings/modbus/read-plan.ts';
import type { BusIo } from './bus.ts';
import { describeBlock, describeModbusException } from './exceptions.ts';
import { interpretReply, type ModbusRequest, readRequest } from './protocol/pdu.ts';

export interface ModbusWriter {
  /** FC 6 for one register, FC 16 for several; then reads them back (FC 3) and compares. */
  writeRegisters(address: number, values: Uint16Array): Promise<void>;
  /** FC 5 for one coil, FC 15 for several; then reads them back (FC 1) and compares. */
  writeCoils(address: number, values: readonly boolean[]): Promise<void>;
}

export interface WriteTarget {
  readonly device: string;
  readonly unitId: number;
  readonly timeoutMs: number;
}

/** Rejects with an Error naming the device, the range and what went wrong. */
export async function writeAndVerify(
  io: BusIo,
  target: WriteTarget,
  area: 'holding' | 'coil',
  address: number,
  values: Uint16Array | readonly boolean[],
): Promise<void> {
  const block: ReadBlock = { area, start: address, count: values.length };
  const where = `device "${target.device}": writing ${describeBlock(block)}`;
  if (values.length === 0) throw new Error(`${where}: nothing to write`);
  const request: ModbusRequest =
    area === 'holding'
      ? values.length === 1
        ? { fc: 6, address, value: Number(values[0]) }
        : { fc: 16, address, values: Uint16Array.from(values as Uint16Array) }
      : values.length === 1
        ? { fc: 5, address, value: values[0] === true }
        : { fc: 15, address, values: Uint8Array.from(values as readonly boolean[], (v) => (v ? 1 : 0)) };
  await exchange(io, target, request, where);

  const readBack = readRequest(area, address, values.length);
  const reply = await exchange(io, target, readBack, `${where}: read-back`);
  const got =
    'registers' in reply ? Array.from(reply.registers) : 'bits' in reply ? Array.from(reply.bits) : [];
  const expected = Array.from(values as ArrayLike<number | boolean>, Number);
  if (got.length !== expected.length || got.some((v, i) => v !== expected[i])) {
    throw new Error(`${where}: read-back gave [${got.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

async function exchange(io: BusIo, target: WriteTarget, request: ModbusRequest, where: string) {
  const result = await io.request(target.unitId, request, target.timeoutMs);
  if (!result.ok) {
    if (result.kind !== 'disconnected') io.recover(`${result.detail} (${where})`);
    throw new Error(`${where} failed: ${result.detail}`);
  }
  const reply = interpretReply(request, result.pdu);
  if (reply.ok) return reply;
  if (reply.kind === 'exception') throw new Error(`${where} failed: ${describeModbusException(reply.code)}`);
  io.recover(`bad reply (${where}): ${reply.detail}`);
  throw new Error(`${where} failed: bad reply: ${reply.detail}`);
}
