/**
 * CRC-16/MODBUS (polynomial 0xA001 reflected, initial 0xFFFF), as in "Modbus over Serial Line
 * Specification and Implementation Guide V1.02", 6.2.2. The CRC goes on the wire low byte first.
 * The table is built per call site (createCrc16) rather than at module level, so no module state exists.
 */
export type Crc16 = (bytes: Uint8Array, start?: number, end?: number) => number;

export function createCrc16(): Crc16 {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[i] = crc;
  }
  return (bytes, start = 0, end = bytes.length) => {
    let crc = 0xffff;
    for (let i = start; i < end; i++) crc = (crc >>> 8) ^ table[(crc ^ bytes[i]!) & 0xff]!;
    return crc;
  };
}
