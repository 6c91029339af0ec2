/**
 * Modbus PDUs (Modbus Application Protocol Specification V1.1b3, section 6) for the function codes the
 * gateway uses: reads FC 1-4 and writes FC 5, 6, 15, 16. Framing (MBAP or RTU) is not done here.
 * `interpretReply` checks a reply against its request (function code, byte count, echoed address and
 * quantity) before any value is trusted: a reply that does not match is a protocol error, never data.
 */
import type { ModbusArea } from '../../../mappings/schema.ts';

export type ModbusRequest =
  | { readonly fc: 1 | 2 | 3 | 4; readonly address: number; readonly count: number }
  | { readonly fc: 5; readonly address: number; readonly value: boolean }
  | { readonly fc: 6; readonly address: number; readonly value: number }
  | { readonly fc: 15; readonly address: number; readonly values: Uint8Array }
  | { readonly fc: 16; readonly address: number; readonly values: Uint16Array };

export type ReplyData =
  | { readonly ok: true; readonly registers: Uint16Array }
  | { readonly ok: true; readonly bits: Uint8Array }
  | { readonly ok: true; readonly written: true };

export type Interpreted =
  | ReplyData
  | { readonly ok: false; readonly kind: 'exception'; readonly code: number }
  | { readonly ok: false; readonly kind: 'protocol'; readonly detail: string };

const READ_FC: { readonly [A in ModbusArea]: 1 | 2 | 3 | 4 } = { coil: 1, discrete: 2, holding: 3, input: 4 };

export function readRequest(area: ModbusArea, address: number, count: number): ModbusRequest {
  return { fc: READ_FC[area], address, count };
}

export function encodeRequest(request: ModbusRequest): Buffer {
  switch (request.fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return fixed(request.fc, request.address, request.count);
    case 5:
      return fixed(5, request.address, request.value ? 0xff00 : 0x0000);
    case 6:
      return fixed(6, request.address, request.value);
    case 15: {
      const { values } = request;
      const bytes = (values.length + 7) >> 3;
      const pdu = Buffer.alloc(6 + bytes);
      header(pdu, 15, request.address, values.length, bytes);
      for (let i = 0; i < values.length; i++) if (values[i] !== 0) pdu[6 + (i >> 3)]! |= 1 << (i & 7);
      return pdu;
    }
    case 16: {
      const { values } = request;
      const pdu = Buffer.alloc(6 + 2 * values.length);
      header(pdu, 16, request.address, values.length, 2 * values.length);
      for (let i = 0; i < values.length; i++) pdu.writeUInt16BE(values[i]!, 6 + 2 * i);
      return pdu;
    }
  }
}

/** PDU length of a normal (non-exception) reply; RTU framing needs it to know where a frame ends. */
export function replyLength(request: ModbusRequest): number {
  switch (request.fc) {
    case 1:
    case 2:
      return 2 + ((request.count + 7) >> 3);
    case 3:
    case 4:
      return 2 + 2 * request.count;
    default:
      return 5;
  }
}

export function interpretReply(request: ModbusRequest, pdu: Buffer): Interpreted {
  const fc = pdu[0];
  if (fc === (request.fc | 0x80)) {
    if (pdu.length !== 2) return protocol(`exception reply of ${pdu.length} bytes, expected 2`);
    return { ok: false, kind: 'exception', code: pdu[1]! };
  }
  if (fc !== request.fc) return protocol(`function code ${fc}, expected ${request.fc}`);
  if (pdu.length !== replyLength(request)) {
    return protocol(`${pdu.length}-byte reply, expected ${replyLength(request)}`);
  }
  switch (request.fc) {
    case 1:
    case 2: {
      if (pdu[1] !== pdu.length - 2) return protocol(`byte count ${pdu[1]}, expected ${pdu.length - 2}`);
      const bits = new Uint8Array(request.count);
      for (let i = 0; i < request.count; i++) bits[i] = (pdu[2 + (i >> 3)]! >> (i & 7)) & 1;
      return { ok: true, bits };
    }
    case 3:
    case 4: {
      if (pdu[1] !== pdu.length - 2) return protocol(`byte count ${pdu[1]}, expected ${pdu.length - 2}`);
      const registers = new Uint16Array(request.count);
      for (let i = 0; i < request.count; i++) registers[i] = pdu.readUInt16BE(2 + 2 * i);
      return { ok: true, registers };
    }
    default: {
      // Write replies echo the address and the value (FC 5/6) or the quantity (FC 15/16).
      const sent = encodeRequest(request);
      if (pdu.compare(sent, 0, 5) !== 0) return protocol('write reply does not echo the request');
      return { ok: true, written: true };
    }
  }
}

function fixed(fc: number, address: number, value: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(value, 3);
  return pdu;
}

function header(pdu: Buffer, fc: number, address: number, quantity: number, byteCount: number): void {
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(quantity, 3);
  pdu[5] = byteCount;
}

function protocol(detail: string): Interpreted {
  return { ok: false, kind: 'protocol', detail };
}
