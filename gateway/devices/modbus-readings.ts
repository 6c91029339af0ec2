/**
 * Turns a Modbus driver reading into TagSamples: the compiled mapping decodes the blocks, then tags in
 * the parts of a block the device refused (exception 02, found by block splitting) are made bad with
 * the exception kept, while the rest of the block stays good.
 */

import type { TagSample } from '../../core/sample.ts';
import type { ModbusDriverReading } from '../../drivers/modbus/device-poller.ts';
import type { CompiledModbusDevice } from '../../mappings/modbus/compile.ts';

export function modbusSamples(compiled: CompiledModbusDevice, reading: ModbusDriverReading): TagSample[] {
  const samples = compiled.decode(reading);
  const { unreadable } = reading;
  if (unreadable.length === 0) return samples;
  const { tags } = compiled;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    const end = tag.address + tag.registers;
    const hole = unreadable.find(
      (u) => u.area === tag.area && tag.address < u.start + u.count && u.start < end,
    );
    if (hole === undefined) continue;
    samples[i] = {
      tag: tag.name,
      value: null,
      quality: 'bad',
      ts: reading.ts,
      error: hole.failure.message,
      ...(hole.failure.exception !== undefined && { code: hole.failure.exception }),
    };
  }
  return samples;
}
