import { describe, expect, it } from 'vitest';
import { compileModbusMapping } from '../../../mappings/modbus/compile.ts';
import type { BlockResult, ModbusReading } from '../../../mappings/modbus/read-plan.ts';
import type { ModbusMapping } from '../../../mappings/schema.ts';

const MAPPING: ModbusMapping = {
  byteOrder: 'CDAB',
  publish: { deadband: 0.5 },
  tags: [
    { name: 'pump_cmd', area: 'coil', address: 3, type: 'bool', writable: true },
    { name: 'level', area: 'holding', address: 0, type: 'uint16', scale: 0.01, decimals: 2, unit: 'm' },
    { name: 'flow', area: 'holding', address: 1, type: 'float32', decimals: 1, publish: { mode: 'always' } },
    { name: 'fault', area: 'holding', address: 3, type: 'bool', bit: 2 },
    { name: 'energy', area: 'holding', address: 4, type: 'uint64', byteOrder: 'ABCD' },
    { name: 'serial', area: 'holding', address: 8, type: 'string', length: 2 },
    { name: 'setpoint', ref: '40011', type: 'int16', writable: true, description: 'Level setpoint' },
    { name: 'pressure', area: 'input', address: 0, type: 'int16', scale: 0.1 },
    { name: 'temperature', area: 'input', address: 1, type: 'float32', byteOrder: 'ABCD' },
  ],
};

const ok = (registers: number[]): BlockResult => ({ ok: true, registers: Uint16Array.from(registers) });

describe('compileModbusMapping', () => {
  const device = compileModbusMapping(MAPPING, {
    name: 'skid1',
    publish: { heartbeatSeconds: 30, deadband: 9 },
  });

  it('plans one block per area run', () => {
    expect(device.plan.blocks).toEqual([
      { area: 'coil', start: 3, count: 1 },
      { area: 'holding', start: 0, count: 11 },
      { area: 'input', start: 0, count: 3 },
    ]);
  });

  it('compiles tag metadata with merged publish policies', () => {
    const [pump, level, flow, , , , setpoint] = device.tags;
    expect(device.tags.map((t) => `${t.name}:${t.area}:${t.address}:${t.registers}`)).toEqual([
      'pump_cmd:coil:3:1',
      'level:holding:0:1',
      'flow:holding:1:2',
      'fault:holding:3:1',
      'energy:holding:4:4',
      'serial:holding:8:2',
      'setpoint:holding:10:1',
      'pressure:input:0:1',
      'temperature:input:1:2',
    ]);
    expect(level).toMatchObject({ type: 'uint16', unit: 'm', writable: false });
    expect(level!.encode).toBeUndefined();
    // tag ← mapping ← device ← defaults, field by field.
    expect(level!.publish).toEqual({ mode: 'change', deadband: 0.5, heartbeatMs: 30_000 });
    expect(flow!.publish).toEqual({ mode: 'always', deadband: 0.5, heartbeatMs: 30_000 });
    expect(setpoint).toMatchObject({ writable: true, description: 'Level setpoint' });
    expect(pump!.encode!(1)).toBe(true);
    expect([...(setpoint!.encode!(-2) as Uint16Array)]).toEqual([0xfffe]);
    expect(() => setpoint!.encode!(40000)).toThrow(
      'tag "setpoint": cannot write: number 40000 is out of range for int16',
    );
  });

  it('uses the built-in publish defaults when nothing is set', () => {
    const bare = compileModbusMapping(
      { tags: [{ name: 'x', area: 'holding', address: 0, type: 'int16' }] },
      { name: 'd' },
    );
    expect(bare.tags[0]!.publish).toEqual({ mode: 'change', deadband: 0, heartbeatMs: 60_000 });
  });

  it('decodes a reading into samples index-aligned with the tags', () => {
    const reading: ModbusReading = {
      ts: 1_700_000_000_000,
      results: [
        { ok: true, bits: Uint8Array.of(1) },
        // level 1234; flow 12.5 (CDAB: 0x0000 0x4148); status 0x0004; energy 2^53+1; "OK"; setpoint -5
        ok([1234, 0x0000, 0x4148, 0x0004, 0x0020, 0x0000, 0x0000, 0x0001, 0x4f4b, 0x0000, 0xfffb]),
        {
          ok: false,
          failure: { kind: 'exception', message: 'Modbus exception 02 (illegal data address)', exception: 2 },
        },
      ],
    };
    const ts = reading.ts;
    expect(device.decode(reading)).toStrictEqual([
      { tag: 'pump_cmd', value: true, quality: 'good', ts },
      { tag: 'level', value: 12.34, quality: 'good', ts },
      { tag: 'flow', value: 12.5, quality: 'good', ts },
      { tag: 'fault', value: true, quality: 'good', ts },
      { tag: 'energy', value: '9007199254740993', quality: 'good', ts },
      { tag: 'serial', value: 'OK', quality: 'good', ts },
      { tag: 'setpoint', value: -5, quality: 'good', ts },
      {
        tag: 'pressure',
        value: null,
        quality: 'bad',
        ts,
        error: 'Modbus exception 02 (illegal data address)',
        code: 2,
      },
      {
        tag: 'temperature',
        value: null,
        quality: 'bad',
        ts,
        error: 'Modbus exception 02 (illegal data address)',
        code: 2,
      },
    ]);
  });

  it('marks only the tag with a decode error bad, naming it', () => {
    const samples = device.decode({
      ts: 5,
      results: [
        { ok: true, bits: Uint8Array.of(0) },
        ok([0, 0, 0x7fc0, 0, 0, 0, 0, 0, 0x4142, 0x4344, 7]),
        ok([100, 0x41a0, 0x0000]),
      ],
    });
    expect(samples[2]).toStrictEqual({
      tag: 'flow',
      value: null,
      quality: 'bad',
      ts: 5,
      error: 'tag "flow" (holding 1, float32 CDAB): not a finite number (NaN)',
    });
    expect(samples.filter((s) => s.quality === 'good').map((s) => [s.tag, s.value])).toEqual([
      ['pump_cmd', false],
      ['level', 0],
      ['fault', false],
      ['energy', 0],
      ['serial', 'ABCD'],
      ['setpoint', 7],
      ['pressure', 10],
      ['temperature', 20],
    ]);
  });

  it('reports timeouts without a code, and short or missing results', () => {
    const samples = device.decode({
      ts: 9,
      results: [{ ok: false, failure: { kind: 'timeout', message: 'timeout after 1000 ms' } }, ok([1, 2, 3])],
    });
    expect(samples[0]).toStrictEqual({
      tag: 'pump_cmd',
      value: null,
      quality: 'bad',
      ts: 9,
      error: 'timeout after 1000 ms',
    });
    expect(samples[1]).toMatchObject({ tag: 'level', quality: 'good', value: 0.01 });
    expect(samples[3]!.error).toBe('short response: block 1 has 3 registers, tag "fault" needs 4');
    expect(samples[8]!.error).toBe('no result for read block 2 (reading has 2 results, plan has 3 blocks)');
  });

  it('applies byte order tag ← mapping ← device ← ABCD', () => {
    const tags = [{ name: 'v', area: 'holding' as const, address: 0, type: 'uint32' as const }];
    const read = (mapping: ModbusMapping, byteOrder?: string) =>
      compileModbusMapping(mapping, { name: 'd', byteOrder }).decode({
        ts: 0,
        results: [ok([0x0001, 0x0002])],
      })[0]!.value;
    expect(read({ tags })).toBe(0x00010002);
    expect(read({ tags }, 'CDAB')).toBe(0x00020001);
    expect(read({ tags, byteOrder: 'DCBA' }, 'CDAB')).toBe(0x02000100);
    expect(read({ tags: [{ ...tags[0]!, byteOrder: 'HGFEDCBA' }], byteOrder: 'ABCD' }, 'CDAB')).toBe(
      0x02000100,
    );
  });

  it('uses the device read limits', () => {
    const tags = Array.from({ length: 6 }, (_, i) => ({
      name: `t${i}`,
      area: 'holding' as const,
      address: i * 4,
      type: 'int16' as const,
    }));
    expect(compileModbusMapping({ tags }, { name: 'd' }).plan.blocks).toHaveLength(1);
    expect(compileModbusMapping({ tags }, { name: 'd', maxGap: 2 }).plan.blocks).toHaveLength(6);
    expect(
      compileModbusMapping({ tags }, { name: 'd', maxRegistersPerRead: 9 }).plan.blocks.map((b) => b.count),
    ).toEqual([9, 9]);
  });

  it('throws a clear error naming the device and tag for impossible tags', () => {
    const one =
      (tag: ModbusMapping['tags'][number], options = {}) =>
      () =>
        compileModbusMapping({ tags: [tag] }, { name: 'plc7', ...options });
    expect(one({ name: 'a', type: 'int16' })).toThrow(
      'Modbus device "plc7": tag "a" (#1 in the mapping): missing address: give "area" and "address"',
    );
    expect(one({ name: 'b', ref: '40000', type: 'int16' })).toThrow(
      'tag "b" (#1 in the mapping): "40000" is out of range',
    );
    expect(one({ name: 'c', area: 'coil', address: 0, type: 'int16' })).toThrow(
      'a coil holds one bit: type must be bool, not int16',
    );
    expect(one({ name: 'd', area: 'input', address: 0, type: 'int16', writable: true })).toThrow(
      'writable is only possible for coil and holding areas, not input',
    );
    expect(one({ name: 'e', area: 'holding', address: 0, type: 'bool', bit: 1, writable: true })).toThrow(
      'tag "e" (#1 in the mapping): writing one bit of a register is not supported',
    );
    expect(one({ name: 'f', area: 'holding', address: 0, type: 'bool' })).toThrow('needs "bit"');
    expect(one({ name: 'g', area: 'holding', address: 65535, type: 'int32' })).toThrow(
      'holding 65535 + 2 registers runs past address 65535',
    );
    expect(
      one(
        { name: 'h', area: 'holding', address: 0, type: 'string', length: 100 },
        { maxRegistersPerRead: 50 },
      ),
    ).toThrow('tag "h" (#1 in the mapping): needs 100 registers but one read is limited to 50');
    expect(one({ name: 'i', area: 'holding', address: 0, type: 'int16', byteOrder: 'XYZW' })).toThrow(
      'unknown byte order "XYZW"',
    );
    expect(one({ name: 'j', area: 'holding', address: 0, type: 'int16', scale: 0, writable: true })).toThrow(
      'scale 0',
    );
    expect(one({ name: 'k', area: 'holding', address: 0, type: 'int16' }, { maxGap: -1 })).toThrow(
      'Modbus device "plc7": read planner: maxGap must be an integer',
    );
    const twice = { name: 'dup', area: 'holding' as const, address: 0, type: 'int16' as const };
    expect(() => compileModbusMapping({ tags: [twice, twice] }, { name: 'plc7' })).toThrow(
      'Modbus device "plc7": tag "dup" (#2 in the mapping): the name is used twice',
    );
  });
});
