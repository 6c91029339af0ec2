/**
 * Just enough ELF to tell which machine a binary was built for: the build checks every binary it puts
 * into a package (Node and the native modules), so an arm64 package can never carry an x86-64 file.
 */
import { open } from 'node:fs/promises';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** The ELF e_machine of `file`, or undefined when it is not an ELF file. */
export async function elfMachine(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    if (bytesRead < header.length || !header.subarray(0, 4).equals(ELF_MAGIC)) return undefined;
    // EI_DATA (byte 5): 1 = little-endian, 2 = big-endian; e_machine is the 16-bit field at offset 18.
    return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  } finally {
    await handle.close();
  }
}

export async function assertElfMachine(file: string, expected: number, what: string): Promise<void> {
  const machine = await elfMachine(file);
  if (machine !== expected) {
    throw new Error(
      `${what} (${file}) is ${machine === undefined ? 'not an ELF binary' : `built for ELF machine ${machine}`}: expected machine ${expected}`,
    );
  }
}
