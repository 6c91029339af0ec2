import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';
import { type RawClient, rawClient, readPdu, request } from '../../drivers/modbus/raw-client.ts';
import { ModbusClient } from '../../helpers/modbus-serial-client.ts';

let sim: ModbusTcpSimulator;
let port: number;
let client: RawClient;

beforeEach(async () => {
  sim = new ModbusTcpSimulator({ unitIds: [1] });
  ({ port } = await sim.listen());
  client = await rawClient(port);
});

afterEach(async () => {
  client.close();
  await sim.close();
});

async function ask(pdu: number[], unitId = 1, transactionId = 0x1234): Promise<Buffer> {
  client.send(request(transactionId, unitId, pdu));
  return client.reply();
}

function hex(bytes: number[]): string {
  return Buffer.from(bytes).toString('hex');
}

describe('ModbusTcpSimulator reads', () => {
  it('answers FC 3 and FC 4 from the holding and input banks', async () => {
    const unit = sim.unit(1);
    unit.holding.set([0x0102, 0xfffe, 7], 10);
    unit.input.set([0xabcd], 0);
    expect((await ask(readPdu(3, 10, 3))).toString('hex')).toBe(
      hex([0x12, 0x34, 0, 0, 0, 9, 1, 3, 6, 0x01, 0x02, 0xff, 0xfe, 0, 7]),
    );
    expect((await ask(readPdu(4, 0, 1))).toString('hex')).toBe(
      hex([0x12, 0x34, 0, 0, 0, 5, 1, 4, 2, 0xab, 0xcd]),
    );
  });

  it('packs FC 1 and FC 2 bits least significant first, padding with zeros', async () => {
    const unit = sim.unit(1);
    unit.coils.set([1, 0, 1, 1, 0, 0, 0, 0, 1, 1], 100);
    unit.discrete.set([0, 1, 1], 5);
    unit.discrete[8] = 1; // outside the request: must not leak into the padding
    expect((await ask(readPdu(1, 100, 10))).subarray(7).toString('hex')).toBe(hex([1, 2, 0b00001101, 0b11]));
    expect((await ask(readPdu(2, 5, 3))).subarray(7).toString('hex')).toBe(hex([2, 1, 0b110]));
  });

  it('answers each unit from its own banks and unknown units with exception 0B', async () => {
    sim.unit(2).holding[0] = 22;
    sim.unit(1).holding[0] = 11;
    expect((await ask(readPdu(3, 0, 1), 2)).readUInt16BE(9)).toBe(22);
    expect((await ask(readPdu(3, 0, 1), 1)).readUInt16BE(9)).toBe(11);
    expect((await ask(readPdu(3, 0, 1), 99)).subarray(6).toString('hex')).toBe(hex([99, 0x83, 0x0b]));
  });
});

describe('ModbusTcpSimulator framing', () => {
  it('answers several requests sent in one chunk, in order', async () => {
    sim.unit(1).holding.set([5, 6, 7]);
    client.send(
      Buffer.concat([
        request(1, 1, readPdu(3, 0, 1)),
        request(2, 1, readPdu(3, 1, 1)),
        request(3, 1, readPdu(3, 2, 1)),
      ]),
    );
    const replies = [await client.reply(), await client.reply(), await client.reply()];
    expect(replies.map((reply) => [reply.readUInt16BE(0), reply.readUInt16BE(9)])).toEqual([
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
  });

  it('answers a request that arrives in pieces', async () => {
    sim.unit(1).holding[3] = 0x4242;
    const frame = request(9, 1, readPdu(3, 3, 1));
    for (const piece of [frame.subarray(0, 3), frame.subarray(3, 8), frame.subarray(8)]) {
      client.send(piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const reply = await client.reply();
    expect([reply.readUInt16BE(0), reply.readUInt16BE(9)]).toEqual([9, 0x4242]);
  });

  it('drops the connection on an impossible MBAP length', async () => {
    client.send([0, 1, 0, 0, 0x10, 0x00, 1, 3]);
    await client.closed();
    expect(sim.requests).toBe(0);
  });
});

describe('ModbusTcpSimulator exceptions', () => {
  it.each([
    ['an unsupported function', [0x07], 0x87, 0x01],
    ['FC 3 for 126 registers', readPdu(3, 0, 126), 0x83, 0x03],
    ['FC 4 for 0 registers', readPdu(4, 0, 0), 0x84, 0x03],
    ['FC 1 for 2001 coils', readPdu(1, 0, 2001), 0x81, 0x03],
    ['FC 3 past the end of the address space', readPdu(3, 65_530, 10), 0x83, 0x02],
    ['FC 2 past the end of the address space', readPdu(2, 65_535, 2), 0x82, 0x02],
    ['FC 5 with a value other than FF00/0000', [5, 0, 1, 0x12, 0x34], 0x85, 0x03],
    ['FC 16 whose byte count disagrees with the quantity', [16, 0, 0, 0, 2, 2, 0, 1], 0x90, 0x03],
    ['FC 15 for 1969 coils', [15, 0, 0, 0x07, 0xb1, 247, ...new Array(247).fill(0)], 0x8f, 0x03],
  ])('answers %s with the right exception', async (_name, pdu, fc, code) => {
    const reply = await ask(pdu);
    expect(reply.subarray(4).toString('hex')).toBe(hex([0, 3, 1, fc, code]));
  });

  it('answers configured holes and rules with their exception code, only for their area and range', async () => {
    const unit = sim.unit(1);
    unit.rules = [
      { area: 'holding', start: 100, count: 10, code: 0x02 },
      { area: 'input', start: 0, count: 1, code: 0x04 },
    ];
    expect((await ask(readPdu(3, 95, 6))).subarray(7).toString('hex')).toBe(hex([0x83, 0x02]));
    expect((await ask(readPdu(3, 109, 1))).subarray(7).toString('hex')).toBe(hex([0x83, 0x02]));
    expect((await ask([6, 0, 105, 0, 1])).subarray(7).toString('hex')).toBe(hex([0x86, 0x02]));
    expect((await ask(readPdu(3, 90, 10)))[7]).toBe(3);
    expect((await ask(readPdu(3, 110, 5)))[7]).toBe(3);
    expect((await ask(readPdu(4, 0, 2))).subarray(7).toString('hex')).toBe(hex([0x84, 0x04]));
    expect((await ask(readPdu(4, 1, 2)))[7]).toBe(4);
  });
});

describe('ModbusTcpSimulator writes (through modbus-serial)', () => {
  it('applies FC 5, 6, 15 and 16 to the banks and echoes them', async () => {
    const modbus = new ModbusClient();
    await modbus.connectTCP('127.0.0.1', { port });
    modbus.setID(1);
    modbus.setTimeout(2000);
    try {
      const unit = sim.unit(1);
      expect(await modbus.writeCoil(7, true)).toEqual({ address: 7, state: true });
      expect(unit.coils[7]).toBe(1);
      await modbus.writeCoil(7, false);
      expect(unit.coils[7]).toBe(0);

      expect(await modbus.writeRegister(300, 0xbeef)).toEqual({ address: 300, value: 0xbeef });
      expect(unit.holding[300]).toBe(0xbeef);

      const states = [true, false, true, true, false, false, false, false, true, false, true];
      expect(await modbus.writeCoils(20, states)).toEqual({ address: 20, length: 11 });
      expect(Array.from(unit.coils.subarray(20, 31))).toEqual(states.map(Number));

      expect(await modbus.writeRegisters(500, [1, 2, 65_535])).toEqual({ address: 500, length: 3 });
      expect(Array.from(unit.holding.subarray(500, 503))).toEqual([1, 2, 65_535]);

      const read = await modbus.readHoldingRegisters(500, 3);
      expect(read.data).toEqual([1, 2, 65_535]);
    } finally {
      await new Promise((resolve) => modbus.close(resolve));
    }
  });
});

describe('ModbusTcpSimulator faults', () => {
  it('replies with another transaction id or unit id when told to', async () => {
    sim.faults.reply = 'wrong-transaction';
    expect((await ask(readPdu(3, 0, 1), 1, 41)).readUInt16BE(0)).toBe(42);
    sim.faults.reply = 'wrong-unit';
    expect((await ask(readPdu(3, 0, 1), 1, 41))[6]).toBe(2);
  });

  it('sends a reply whose byte count disagrees with its data in garbage mode', async () => {
    sim.faults.reply = 'garbage';
    const reply = await ask(readPdu(3, 0, 2));
    expect([reply.readUInt16BE(4), reply[8]]).toEqual([7, 5]);
  });

  it('answers and then closes the connection in close-after-each-request mode', async () => {
    sim.faults.closeAfterEachRequest = true;
    sim.unit(1).holding[0] = 99;
    expect((await ask(readPdu(3, 0, 1))).readUInt16BE(9)).toBe(99);
    await client.closed();
    expect(sim.requests).toBe(1);
  });

  it('still answers, later, when a reply delay is set', async () => {
    sim.faults.delayMs = 30;
    sim.unit(1).input[1] = 5;
    expect((await ask(readPdu(4, 1, 1))).readUInt16BE(9)).toBe(5);
  });
});
