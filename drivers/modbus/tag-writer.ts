/**
 * Writes a tag by name through a ModbusWriter: the compiled tag's encoder (the inverse of its decoder,
 * every type and byte order) gives the registers in wire order or the coil state. Only tags marked
 * writable in the mapping have an encoder; any other write is denied.
 */
import type { CompiledModbusTag } from '../../mappings/modbus/compile.ts';
import type { ModbusWriter } from './writer.ts';

export interface ModbusTagWriter {
  /** Rejects naming the device and tag when the tag is unknown, not writable, the value does not encode, or the write fails. */
  write(tagName: string, value: unknown): Promise<void>;
}

export function createModbusTagWriter(
  device: string,
  tags: readonly CompiledModbusTag[],
  writer: ModbusWriter,
): ModbusTagWriter {
  const byName = new Map(tags.map((tag) => [tag.name, tag]));
  return {
    async write(tagName, value) {
      const tag = byName.get(tagName);
      if (tag === undefined) throw new Error(`device "${device}": no tag "${tagName}"`);
      if (!tag.writable || tag.encode === undefined) {
        throw new Error(
          `device "${device}": tag "${tagName}" is not writable (set "writable": true in its mapping)`,
        );
      }
      let encoded: Uint16Array | boolean;
      try {
        encoded = tag.encode(value);
      } catch (error) {
        throw new Error(`device "${device}": ${(error as Error).message}`, { cause: error });
      }
      if (typeof encoded === 'boolean') await writer.writeCoils(tag.address, [encoded]);
      else await writer.writeRegisters(tag.address, encoded);
    },
  };
}
