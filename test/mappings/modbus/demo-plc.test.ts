import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { TagValue } from '../../../core/sample.ts';
import { buildRegisterCodec, normalizeByteOrder } from '../../../mappings/modbus/codec.ts';
import { compileModbusMapping } from '../../../mappings/modbus/compile.ts';
import type { BlockResult } from '../../../mappings/modbus/read-plan.ts';
import {
  BYTE_ORDERS,
  DATA_TYPES,
  type ModbusMapping,
  ModbusMappingSchema,
} from '../../../mappings/schema.ts';

const mapping = JSON.parse(
  readFileSync(new URL('../../../mappings/examples/demo-plc.json', import.meta.url), 'utf8'),
) as ModbusMapping;

describe('mappings/examples/demo-plc.json', () => {
  it('matches the mapping schema', () => {
    expect([...Value.Errors(ModbusMappingSchema, mapping)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  });

  it('exercises every type, byte order and addressing feature', () => {
    const types = new Set(mapping.tags.map((t) => t.type));
    expect(DATA_TYPES.filter((t) => !types.has(t))).toEqual([]);
    const orders = new Set(
      mapping.tags.map((t) => normalizeByteOrder(t.byteOrder ?? mapping.byteOrder ?? 'ABCD')),
    );
    expect(BYTE_ORDERS.filter((o) => !orders.has(o))).toEqual([]);
    expect(mapping.tags.some((t) => t.ref?.startsWith('40'))).toBe(true);
    expect(mapping.tags.some((t) => t.bit !== undefined)).toBe(true);
    expect(mapping.tags.some((t) => t.type === 'bcd16') && mapping.tags.some((t) => t.type === 'bcd32')).toBe(
      true,
    );
  });

  it('compiles into one read per area', () => {
    const device = compileModbusMapping(mapping, { name: 'demo-plc' });
    expect(device.plan.blocks).toEqual([
      { area: 'coil', start: 0, count: 2 },
      { area: 'discrete', start: 0, count: 5 },
      { area: 'holding', start: 0, count: 45 },
      { area: 'input', start: 0, count: 6 },
    ]);
    expect(device.tags.filter((t) => t.writable).map((t) => [t.name, typeof t.encode])).toEqual([
      ['pump_run_command', 'function'],
      ['level_setpoint', 'function'],
      ['pump_speed_setpoint', 'function'],
    ]);
    expect(device.tags.find((t) => t.name === 'level_setpoint')).toMatchObject({
      area: 'holding',
      address: 42,
    });
  });

  it('decodes registers written with the tags own codecs back to the same values', () => {
    const device = compileModbusMapping(mapping, { name: 'demo-plc' });
    const values: Record<string, TagValue> = {
      tank_level: 2.35,
      tank_temperature: -4.5,
      recipe_id: 1207,
      flow_rate: 12.5,
      motor_current: 7.25,
      batch_counter: 123456,
      motor_power: -1500,
      flow_totaliser: 98765.432,
      energy_total: 1234.5,
      pump_runtime: '9007199254740993',
      lot_number: 20240917,
      serial_number: 'FB-00042',
      product_name: 'Öl №5',
      level_setpoint: 2.5,
      pump_speed_setpoint: 75.5,
      inlet_pressure: 1.25,
      outlet_pressure: 3.5,
      pump_vibration: 1.75,
      pump_starts: 42,
    };
    const registers = device.plan.blocks.map((b) => new Uint16Array(b.count));
    const tagsByName = new Map(mapping.tags.map((t) => [t.name, t]));
    for (const tag of device.tags) {
      const value = values[tag.name];
      if (value === undefined) continue;
      const source = tagsByName.get(tag.name)!;
      const codec = buildRegisterCodec({ ...source, byteOrder: source.byteOrder ?? mapping.byteOrder });
      const block = device.plan.blocks.findIndex((b) => b.area === tag.area);
      registers[block]!.set(codec.encode!(value), tag.address - device.plan.blocks[block]!.start);
    }
    registers[2]![2] = 0b1000; // status word: pump_fault (bit 3) set, alarm_active (bit 0) clear
    const results: BlockResult[] = [
      { ok: true, bits: Uint8Array.from([1, 0]) },
      { ok: true, bits: Uint8Array.from([1, 0, 0, 0, 1]) },
      { ok: true, registers: registers[2]! },
      { ok: true, registers: registers[3]! },
    ];
    const samples = device.decode({ ts: 1, results });
    expect(samples.filter((s) => s.quality !== 'good')).toEqual([]);
    expect(Object.fromEntries(samples.map((s) => [s.tag, s.value]))).toEqual({
      ...values,
      pump_run_command: true,
      drain_valve_open: false,
      pump_running: true,
      tank_high_level_switch: false,
      emergency_stop_healthy: true,
      alarm_active: false,
      pump_fault: true,
    });
  });
});
